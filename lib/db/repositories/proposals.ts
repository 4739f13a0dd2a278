import { randomUUID } from 'node:crypto';
import { jsonb } from '../json.ts';
import type { Db, JsonInput, Proposal, RiskTier } from '../schema.ts';

export interface NewProposalInput {
  id?: string;
  session_id: string;
  agent_id: string;
  baseline_version_id: string;
  candidate_version_id: string;
  change: JsonInput;
  risk_tier: RiskTier;
  /** Low tier and the policy allows auto-promotion; the database refuses it on any other tier. */
  auto_eligible: boolean;
  /** Structured reason codes (docs/proposer.md). */
  risk_reasons: JsonInput;
  generator: string;
  created_at?: Date;
}

export async function insertProposal(db: Db, input: NewProposalInput): Promise<Proposal> {
  return db
    .insertInto('proposals')
    .values({
      ...input,
      id: input.id ?? randomUUID(),
      change: jsonb(input.change),
      risk_reasons: jsonb(input.risk_reasons),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function getProposal(db: Db, id: string): Promise<Proposal | undefined> {
  return db.selectFrom('proposals').selectAll().where('id', '=', id).executeTakeFirst();
}
