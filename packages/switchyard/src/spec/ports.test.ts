import { describe, expect, it } from 'vitest';
import { DEFAULTS } from './defaults.js';
import type { LocalSettings } from './model.js';
import { assignPorts, portProblems } from './ports.js';
import type { DocPath } from './source.js';

const local = (over: Partial<LocalSettings> = {}): LocalSettings => ({ ...DEFAULTS.local, ports: {}, ...over });
const FLEET = ['thumbnail', 'api-gateway', 'catalog-api', 'user-preferences-api'];
const setByFile =
  (...fields: string[]) =>
  (path: DocPath) =>
    fields.includes(path.join('.'));

describe('local ports', () => {
  it('gives services router and stats ports in name order, explicit router ports first', () => {
    expect(Object.fromEntries(assignPorts(local({ ports: { thumbnail: 9000 } }), FLEET))).toEqual({
      'api-gateway': { port: 8080, statsPort: 8400 },
      'catalog-api': { port: 8081, statsPort: 8401 },
      thumbnail: { port: 9000, statsPort: 8402 },
      'user-preferences-api': { port: 8083, statsPort: 8403 },
    });
  });

  it('finds nothing wrong with the defaults', () => {
    expect(portProblems(local(), FLEET, setByFile())).toEqual([]);
  });

  it('blames the field the file sets, once per pair of clashing fields', () => {
    const found = portProblems(local({ routerPort: 8400 }), FLEET, setByFile('local.routerPort'));
    expect(found).toEqual([
      expect.objectContaining({
        path: ['local', 'routerPort'],
        code: 'port_conflict',
        message:
          'port 8400 is both the router port of api-gateway and the stats port of api-gateway (and 3 more ports the same way)',
      }),
    ]);
    expect(found[0]?.hint).toContain('with 4 services, router ports run from routerPort 8400 to 8403');
  });

  it('blames an explicit port of one service, the API port, and ports past 65535', () => {
    expect(
      portProblems(local({ ports: { 'catalog-api': 7070 } }), FLEET, setByFile('local.ports.catalog-api')),
    ).toEqual([
      expect.objectContaining({
        path: ['local', 'ports', 'catalog-api'],
        message: 'port 7070 is both the router port of catalog-api and the API port',
      }),
    ]);
    expect(portProblems(local({ apiPort: 8403 }), FLEET, setByFile('local.apiPort'))).toEqual([
      expect.objectContaining({
        path: ['local', 'apiPort'],
        message: 'port 8403 is both the stats port of user-preferences-api and the API port',
      }),
    ]);
    expect(
      portProblems(local({ statsPort: 65534 }), FLEET, setByFile('local.statsPort')).map((p) => p.message),
    ).toEqual([
      'the stats port of thumbnail would be 65536, past 65535',
      'the stats port of user-preferences-api would be 65537, past 65535',
    ]);
  });

  it('refuses an explicit port for a name that is no service', () => {
    expect(portProblems(local({ ports: { catalog: 9000 } }), FLEET, setByFile())).toEqual([
      expect.objectContaining({ path: ['local', 'ports', 'catalog'], code: 'unknown_service' }),
    ]);
  });
});
