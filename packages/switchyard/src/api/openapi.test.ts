import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf } from '../../test/support/config.js';
import type { ApiContext } from './context.js';
import { openApiDocument } from './openapi.js';
import { apiRoutes } from './server.js';

describe('the OpenAPI document', () => {
  const ctx = { fleet: fleetOf(baseTexts(), 'sandbox') } as unknown as ApiContext;
  const routes = apiRoutes(ctx);
  const doc = openApiDocument(routes) as {
    openapi: string;
    paths: Record<
      string,
      Record<string, { parameters: { name: string }[]; requestBody?: unknown; 'x-switchyard-action': string }>
    >;
  };

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
      const op = doc.paths[r.url.replace(/:([A-Za-z]+)/g, '{$1}')]?.[r.method.toLowerCase()];
      expect(
        op?.parameters.map((p) => p.name),
        r.url,
      ).toContain('Idempotency-Key');
      if (r.body) expect(op?.requestBody, r.url).toBeDefined();
      expect(op?.['x-switchyard-action']).toBe(r.action);
    }
  });
});
