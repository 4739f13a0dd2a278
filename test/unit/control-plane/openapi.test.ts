import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../../services/control-plane/openapi.pure.ts';
import { routes } from '../../../services/control-plane/routes.ts';

type Operation = {
  operationId: string;
  summary: string;
  parameters: Array<{ name: string; in: string; required: boolean }>;
  requestBody?: {
    content: { 'application/json': { schema: { additionalProperties?: unknown; required?: string[] } } };
  };
  responses: Record<string, { content?: { 'application/json'?: { schema: object } } }>;
  'x-learnloop-roles': string[];
};
const doc = openApiDocument(routes) as { openapi: string; paths: Record<string, Record<string, Operation>> };

describe('the OpenAPI document', () => {
  it('describes every route, with the roles allowed and the error answers', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const r of routes) {
      const op = doc.paths[r.path]?.[r.method.toLowerCase()];
      expect(op, `${r.method} ${r.path}`).toBeDefined();
      expect(op!['x-learnloop-roles'].length).toBeGreaterThan(0);
      expect(Object.keys(op!.responses)).toEqual(expect.arrayContaining(['400', '401', '403']));
    }
    const count = Object.values(doc.paths).reduce((n, p) => n + Object.keys(p).length, 0);
    expect(count).toBe(routes.length);
  });

  it('names every operation once, and gives every success answer its schema', () => {
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods));
    const ids = operations.map((op) => op.operationId);
    expect(ids.every((id) => /^[a-z][A-Za-z]+$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const op of operations) {
      const successes = Object.entries(op.responses).filter(([status]) => status.startsWith('2'));
      expect(successes.length, op.operationId).toBeGreaterThan(0);
      for (const [status, answer] of successes) {
        expect(answer.content?.['application/json']?.schema, `${op.operationId} ${status}`).toBeDefined();
      }
    }
  });

  it('declares path parameters and strict request bodies', () => {
    const decide = doc.paths['/api/approvals/{approvalId}/decision']!['post']!;
    expect(decide.parameters).toContainEqual(
      expect.objectContaining({ name: 'approvalId', in: 'path', required: true }),
    );
    const body = decide.requestBody!.content['application/json'].schema;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['decision']);
    const audit = doc.paths['/api/audit']!['get']!;
    expect(audit.parameters.map((p) => p.name)).toEqual([
      'agentId',
      'subjectType',
      'subjectId',
      'actor',
      'action',
      'beforeId',
      'limit',
    ]);
  });

  it('is plain JSON', () => {
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
