import { createConfig, lintFromString } from '@redocly/openapi-core';
import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf } from '../../test/support/config.js';
import { catalogue } from '../errors/index.js';
import type { ApiContext } from './context.js';
import { errorsOf, openApiDocument } from './openapi.js';
import { apiRoutes } from './server.js';

interface Operation {
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: unknown;
  responses: Record<
    string,
    {
      description: string;
      headers?: Record<string, unknown>;
      content?: Record<string, { schema?: unknown; 'x-switchyard-event-data'?: unknown }>;
    }
  >;
  'x-switchyard-action': string;
}

describe('the OpenAPI document', () => {
  const ctx = { fleet: fleetOf(baseTexts(), 'sandbox') } as unknown as ApiContext;
  const routes = apiRoutes(ctx);
  const doc = openApiDocument(routes, ['sandbox']) as {
    openapi: string;
    info: { license?: { name: string } };
    servers?: { url: string }[];
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
  const operationOf = (r: (typeof routes)[number]) =>
    doc.paths[r.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[r.method.toLowerCase()] as Operation;

  it('describes every route the server runs, from the same table', () => {
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(documented.sort()).toEqual(
      routes.map((r) => `${r.method} ${r.url.replace(/:([A-Za-z]+)/g, '{$1}')}`).sort(),
    );
    expect(documented).toContain('POST /v1/releases');
    expect(documented).toContain('GET /v1/events');
  });

  it('offers an Idempotency-Key on every mutating call and a body schema where one is read', () => {
    for (const r of routes.filter((x) => x.audit)) {
      const op = operationOf(r);
      expect(
        op.parameters.map((p) => p.name),
        r.url,
      ).toContain('Idempotency-Key');
      if (r.body) expect(op.requestBody, r.url).toBeDefined();
      expect(op['x-switchyard-action']).toBe(r.action);
    }
  });

  it("declares every operation's answer with the schema its route's answers are checked against", () => {
    for (const r of routes) {
      const ok = operationOf(r).responses[String(r.status ?? 200)];
      const media = r.raw
        ? ok?.content?.['text/event-stream']?.['x-switchyard-event-data']
        : ok?.content?.['application/json']?.schema;
      expect(media, `${r.method} ${r.url}`).toBeDefined();
      expect(JSON.stringify(media), `${r.method} ${r.url}`).toMatch(/"(type|\$ref)"/);
    }
    expect(doc.components.schemas).toHaveProperty('Release');
    expect(doc.components.schemas).toHaveProperty('Error');
  });

  it('declares the catalogue errors each route can answer, by status, with the error body', () => {
    for (const r of routes) {
      const responses = operationOf(r).responses;
      for (const code of errorsOf(r)) {
        const declared = responses[String(catalogue[code].status)];
        expect(declared?.description, `${r.method} ${r.url} ${code}`).toContain(code);
        expect(declared?.content?.['application/json']?.schema).toEqual({ $ref: '#/components/schemas/Error' });
      }
      expect(responses).not.toHaveProperty('default');
    }
    const deploy = operationOf(routes.find((r) => r.method === 'POST' && r.url === '/v1/releases')!).responses;
    expect(Object.keys(deploy)).toEqual(
      expect.arrayContaining(['201', '400', '401', '403', '404', '409', '413', '415', '422', '429', '500', '503']),
    );
    expect(deploy['403']?.description).toContain('SWY_RELEASE_FROZEN');
    expect(deploy['401']?.headers).toHaveProperty('WWW-Authenticate');
    expect(deploy['503']?.description).toContain('SWY_API_NO_LEADER');
  });

  it('names its servers and its licence', () => {
    expect(doc.servers?.[0]?.url).toBeTruthy();
    expect(doc.info.license?.name).toBeTruthy();
  });

  it("passes Redocly's recommended OpenAPI rules with no error and no warning", async () => {
    const config = await createConfig({
      extends: ['recommended'],
      // The packages declare no licence, so there is no SPDX identifier or URL to give (LICENSE in openapi.ts).
      rules: { 'info-license-strict': 'off' },
    });
    const problems = await lintFromString({ source: JSON.stringify(doc), absoluteRef: '/openapi.json', config });
    const shown = problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? ''}`);
    expect(shown).toEqual([]);
  });
});
