import { sqlMigration } from './statements.ts';

/**
 * The audit log: append-only in the database, and a hash chain (lib/audit/chain.ts) so that a change made around the
 * triggers (by a superuser, or on the disk) is still detected by `learnloop audit verify`.
 */
export const audit = sqlMigration(
  [
    // Millisecond precision: the hash covers `at` as an ISO string with milliseconds, so the column keeps exactly that.
    `CREATE TABLE audit_log (
       id bigserial PRIMARY KEY,
       at timestamptz(3) NOT NULL,
       actor text NOT NULL,
       action text NOT NULL,
       agent_id text,
       subject_type text NOT NULL,
       subject_id text NOT NULL,
       payload jsonb NOT NULL,
       prev_hash text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
       hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
       -- A fork (two rows naming the same predecessor) is refused even from a writer that skipped the head lock.
       CONSTRAINT audit_log_prev_hash_key UNIQUE (prev_hash),
       CONSTRAINT audit_log_hash_key UNIQUE (hash)
     )`,
    `CREATE INDEX audit_log_agent ON audit_log (agent_id, id)`,
    `CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, id)`,
    `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
       FOR EACH ROW EXECUTE FUNCTION learnloop_reject_change('the audit log is append-only')`,
    `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
       FOR EACH STATEMENT EXECUTE FUNCTION learnloop_reject_change('the audit log is append-only')`,

    // The chain head: the one row every append locks (SELECT ... FOR UPDATE), which serialises appends.
    `CREATE TABLE audit_chain_head (
       singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
       last_id bigint,
       last_hash text NOT NULL
     )`,
    `INSERT INTO audit_chain_head (last_id, last_hash) VALUES (NULL, '${'0'.repeat(64)}')`,
    // Every insert must extend the head, and moves it: the database itself keeps the chain linear, and the head
    // remembers where the chain ends, so that rows cut off the end are detected too.
    `CREATE FUNCTION audit_log_extend_head() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE
       head audit_chain_head%ROWTYPE;
     BEGIN
       SELECT * INTO head FROM audit_chain_head WHERE singleton FOR UPDATE;
       IF NOT FOUND THEN
         RAISE EXCEPTION 'audit_chain_head has no row' USING ERRCODE = 'restrict_violation';
       END IF;
       IF NEW.prev_hash <> head.last_hash OR NEW.id <= coalesce(head.last_id, 0) THEN
         RAISE EXCEPTION 'audit row % does not extend the chain head (id %, hash %)', NEW.id, head.last_id, head.last_hash
           USING ERRCODE = 'restrict_violation';
       END IF;
       UPDATE audit_chain_head SET last_id = NEW.id, last_hash = NEW.hash WHERE singleton;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER audit_log_extend_head BEFORE INSERT ON audit_log
       FOR EACH ROW EXECUTE FUNCTION audit_log_extend_head()`,
  ],
  ['DROP TABLE audit_log', 'DROP FUNCTION audit_log_extend_head', 'DROP TABLE audit_chain_head'],
);
