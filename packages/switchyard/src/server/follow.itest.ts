import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigStatus } from '../api/index.js';
import { signBody } from '../api/signature.js';
import { freePort } from '../runtime/index.js';
import { gitAsPerson, pushFiles } from '../../test/support/bed.js';
import { runCli } from '../../test/support/cli.js';
import { terminal, waitForRelease } from '../../test/support/release.js';
import { HTTP_SERVICE } from '../../test/support/local-fleet.js';
import { adminAuth, sleep, startForeground, waitFor, type UpProcess } from '../../test/support/up.js';

/**
 * A server following a real git repository (a bare repository as the remote, people's commits
 * pushed from a clone) with the local runtime: good commits taken without a restart, bad ones
 * refused with every problem and the fleet untouched, the signed webhook, and the rule between
 * people's commits and the server's own.
 */
const SECRET = 'a webhook secret for the test';

const git = gitAsPerson;

function service(name: string, extra: Record<string, unknown> = {}): string {
  return stringify({
    kind: 'Service',
    name,
    team: 'web',
    product: 'vod',
    costCenter: 'cc-1',
    command: ['node', HTTP_SERVICE],
    version: '3.0.0',
    resources: { cpu: '100m', memory: '64Mi' },
    tracks: { next: { replicas: 1 }, main: { replicas: 1 } },
    minReplicasPerTrack: 1,
    traffic: { groups: { everyone: { canaryTrack: 'next', share: 5 } }, defaultGroup: 'everyone' },
    probes: { readiness: { path: '/ready', periodSeconds: 1 }, liveness: { path: '/healthz' } },
    terminationGraceSeconds: 2,
    // One stage that waits for an approval: a release stays in progress as long as a test needs.
    release: { stages: [{ name: 'next', track: 'next', duration: '1s', approval: true, gates: [] }] },
    ...extra,
  });
}

describe('a server following a configuration repository', () => {
  let work: string;
  let remote: string;
  let dataDir: string;
  let api: string;
  let auth: string;
  let server: UpProcess;
  let ports: { router: number; stats: number; api: number };

  const push = (files: Record<string, string | null>, message: string) => pushFiles(work, files, message);

  async function call<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as T };
  }

  const config = async () => (await call<ConfigStatus>('GET', '/v1/config')).body;
  const services = async () =>
    (
      await call<{ services: { service: string; routerPid?: number; tracks: { ready: number }[] }[] }>(
        'GET',
        '/v1/status',
      )
    ).body.services;
  const served = (sha: string) =>
    waitFor(`commit ${sha.slice(0, 12)} served`, async () => (await config()).servedCommit === sha, 30_000);

  const withShare = (n: number, extra: Record<string, unknown> = {}) =>
    service('alpha', {
      traffic: { groups: { everyone: { canaryTrack: 'next', share: n } }, defaultGroup: 'everyone' },
      ...extra,
    });

  beforeAll(async () => {
    const root = await mkdtemp(join(tmpdir(), 'switchyard-follow-'));
    remote = join(root, 'config.git');
    work = join(root, 'work');
    dataDir = join(root, 'data');
    git(root, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
    git(root, 'clone', '--quiet', remote, work);
    ports = {
      router: await freePort('127.0.0.1'),
      stats: await freePort('127.0.0.1'),
      api: await freePort('127.0.0.1'),
    };
    await push(
      {
        'deploy/services/alpha.yaml': service('alpha'),
        'deploy/environments/sandbox.yaml': stringify({
          kind: 'Environment',
          name: 'sandbox',
          runtime: 'local',
          local: { routerPort: ports.router, statsPort: ports.stats, apiPort: ports.api },
        }),
        'README.md': 'the fleet\n',
      },
      'alpha',
    );
    api = `http://127.0.0.1:${ports.api}`;
    server = startForeground(
      [
        'server',
        `file://${remote}`,
        '--branch',
        'main',
        '--path',
        'deploy',
        '--poll',
        '1s',
        '--data-dir',
        dataDir,
        '--listen',
        `127.0.0.1:${ports.api}`,
      ],
      { SWITCHYARD_WEBHOOK_SECRET: SECRET },
    );
    await server.ready();
    auth = adminAuth(dataDir);
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  it('serves the branch it cloned and says so', async () => {
    const status = await config();
    expect(status).toMatchObject({ source: 'git', branch: 'main', path: 'deploy', webhook: true, pollSeconds: 1 });
    expect(status.servedCommit).toBe(git(work, 'rev-parse', 'HEAD'));
    expect(server.output()).toContain('following file://');
  });

  it('takes a good commit without a restart: the new service runs, the others are left alone', async () => {
    const before = await services();
    const alphaPid = before.find((s) => s.service === 'alpha')?.routerPid;
    const sha = await push({ 'deploy/services/beta.yaml': service('beta') }, 'add beta');
    await served(sha);
    await waitFor(
      'beta ready',
      async () => {
        const beta = (await services()).find((s) => s.service === 'beta');
        return beta !== undefined && beta.tracks.every((t) => t.ready >= 1);
      },
      30_000,
    );
    const res = await fetch(`http://127.0.0.1:${ports.router + 1}/`, { headers: { 'x-group': 'everyone' } });
    expect(res.status).toBe(200);
    expect((await services()).find((s) => s.service === 'alpha')?.routerPid).toBe(alphaPid);
    expect(server.child.exitCode).toBeNull();
    expect(server.output()).toContain(`took commit ${sha.slice(0, 12)} (add beta)`);
  }, 60_000);

  it('refuses a bad commit with every problem, leaves the fleet as it was, records it once, then takes the fix', async () => {
    const good = (await config()).servedCommit as string;
    const before = await services();
    const bad = await push(
      {
        'deploy/services/beta.yaml': service('beta', { replcas: 2 }),
        'deploy/services/alpha.yaml': service('alpha', { resources: { cpu: 'lots', memory: '64Mi' } }),
      },
      'tune alpha and beta',
    );
    await waitFor('the bad commit refused', async () => (await config()).refused?.commit === bad, 30_000);
    const status = await config();
    expect(status.servedCommit).toBe(good);
    expect(status.lastSeenCommit).toBe(bad);
    expect(status.refused).toMatchObject({
      code: 'SWY_SPEC_INVALID',
      subject: 'tune alpha and beta',
      author: 'Ada <ada@example.com>',
    });
    const issues = status.refused?.issues ?? [];
    expect(issues.map((i) => i.file).sort()).toEqual(['services/alpha.yaml', 'services/beta.yaml']);
    for (const issue of issues) {
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.message).toBeTruthy();
    }
    expect(issues.find((i) => i.file === 'services/beta.yaml')).toMatchObject({
      message: expect.stringContaining('replcas'),
      hint: expect.stringContaining('Remove it'),
    });
    // The fleet is exactly as it was: the same services, the same router processes.
    expect((await services()).map((s) => [s.service, s.routerPid])).toEqual(
      before.map((s) => [s.service, s.routerPid]),
    );

    const cli = await runCli(['status'], {
      env: { SWITCHYARD_API: api, SWITCHYARD_TOKEN: auth.replace('Bearer ', '') },
    });
    expect(cli.code).toBe(0);
    const lines = cli.stdout.split('\n').filter((l) => l.includes('config:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`commit ${bad.slice(0, 12)} (tune alpha and beta) refused: SWY_SPEC_INVALID`);
    expect(lines[0]).toContain(`serving ${good.slice(0, 12)}`);

    await sleep(2500); // two more polls see the same commit
    const audit = await call<{
      entries: { target: string; outcome: string; details: { error: { issues: unknown[] } } }[];
    }>('GET', '/v1/audit?action=config.refuse');
    const entries = audit.body.entries.filter((e) => e.target === bad);
    expect(entries).toHaveLength(1);
    expect(entries[0]?.details.error.issues).toHaveLength(issues.length);

    const fixed = await push(
      {
        'deploy/services/beta.yaml': service('beta', { description: 'search' }),
        'deploy/services/alpha.yaml': service('alpha'),
      },
      'fix alpha and beta',
    );
    await served(fixed);
    expect((await config()).refused).toBeUndefined();
  }, 90_000);

  it('takes a webhook delivery signed with the secret at once, and refuses (and audits) a bad signature', async () => {
    const sha = await push(
      { 'deploy/services/beta.yaml': service('beta', { description: 'search, again' }) },
      'describe beta',
    );
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha });
    const hook = (signature: string | undefined) =>
      fetch(`${api}/v1/hooks/config`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-github-event': 'push',
          ...(signature ? { 'x-hub-signature-256': signature } : {}),
        },
        body,
      });
    const bad = await hook(signBody('not the secret', body));
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('SWY_API_UNAUTHENTICATED');
    expect((await hook(undefined)).status).toBe(401);
    const good = await hook(signBody(SECRET, body));
    expect(good.status).toBe(200);
    expect(await good.json()).toMatchObject({ servedCommit: sha, lastSeenCommit: sha, refused: null });
    const denied = await call<{ entries: { outcome: string; target: string; details: { why: string } }[] }>(
      'GET',
      '/v1/audit?action=api.authenticate',
    );
    expect(denied.body.entries.filter((e) => e.target === '/v1/hooks/config' && e.outcome === 'denied')).toHaveLength(
      2,
    );
    const taken = await call<{ entries: { actor: string; outcome: string }[] }>(
      'GET',
      '/v1/audit?action=config.webhook',
    );
    expect(taken.body.entries[0]).toMatchObject({ actor: 'webhook:config', outcome: 'succeeded' });
  }, 60_000);

  it("refuses a people's commit that changes a share the server moved, naming both commits; takes it once it agrees", async () => {
    const share = await call('PUT', '/v1/services/alpha/groups/everyone/share', { share: 20, reason: 'more canary' });
    expect(share.status).toBe(200);
    const history = await call<{ commits: { sha: string }[] }>('GET', '/v1/services/alpha/history');
    const serverCommit = history.body.commits[0]?.sha as string;
    const servedBefore = (await config()).servedCommit as string;

    const clash = await push({ 'deploy/services/alpha.yaml': withShare(50) }, 'alpha: half on canary');
    await waitFor('the conflict refused', async () => (await config()).refused?.commit === clash, 30_000);
    const refused = (await config()).refused;
    expect(refused?.code).toBe('SWY_CONFIG_CONFLICT');
    expect(refused?.issues[0]).toMatchObject({ file: 'services/alpha.yaml', path: 'traffic.groups.everyone.share' });
    expect(refused?.issues[0]?.message).toContain(clash.slice(0, 12));
    expect(refused?.issues[0]?.message).toContain(serverCommit.slice(0, 12));
    expect(refused?.issues[0]?.message).toContain('runs 20');
    expect((await config()).servedCommit).toBe(servedBefore);
    const live = await services();
    expect(live.find((s) => s.service === 'alpha')).toMatchObject({ routing: { shares: { everyone: 20 } } });

    const agreeing = await push({ 'deploy/services/alpha.yaml': withShare(20) }, 'alpha: the share that runs');
    await served(agreeing);
    expect((await services()).find((s) => s.service === 'alpha')).toMatchObject({
      routing: { shares: { everyone: 20 } },
    });
  }, 60_000);

  it('lets a commit that changes a service under release wait until the release ends, then takes it', async () => {
    const started = await call<{ id: string }>('POST', '/v1/releases', { service: 'alpha', version: '3.1.0' });
    expect(started.status).toBeLessThan(300);
    const id = started.body.id;
    await waitForRelease(api, auth, id, (r) => r.allowed.includes('approve'));
    const servedBefore = (await config()).servedCommit as string;
    const sha = await push(
      { 'deploy/services/alpha.yaml': withShare(20, { description: 'the catalogue' }) },
      'describe alpha',
    );
    await waitFor('the commit waiting', async () => (await config()).waiting?.commit === sha, 30_000);
    expect((await config()).waiting?.releases).toEqual([{ service: 'alpha', release: id }]);
    expect((await config()).servedCommit).toBe(servedBefore);
    const cli = await runCli(['status'], {
      env: { SWITCHYARD_API: api, SWITCHYARD_TOKEN: auth.replace('Bearer ', '') },
    });
    expect(cli.stdout).toContain(`config: commit ${sha.slice(0, 12)} waits for release ${id.slice(0, 8)} of alpha`);

    const aborted = await call('POST', `/v1/releases/${id}/abort`, { reason: 'not today' });
    expect(aborted.status).toBe(200);
    await waitForRelease(api, auth, id, terminal);
    await served(sha);
    expect((await config()).waiting).toBeUndefined();
  }, 90_000);
});
