import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_SERVICE } from '../../test/support/local-fleet.js';
import { call, terminal, Traffic, waitForRelease, type ReleaseBody } from '../../test/support/release.js';
import { adminAuth, startUp, writeReleaseUpFleet, type UpProcess } from '../../test/support/up.js';

/**
 * kill -9 of the server at the worst moments, then a restart: every release ends as it
 * should, no step applied twice (one config commit per change), none skipped.
 */

describe('a release survives kill -9 of the server', () => {
  let fleet: Awaited<ReturnType<typeof writeReleaseUpFleet>>;
  let api: string;
  let auth: string;
  let url: string;
  let up: UpProcess | undefined;

  function start(fault?: string): UpProcess {
    up = startUp(fleet.dir, fleet.dataDir, {
      XDG_CONFIG_HOME: fleet.dataDir,
      ...(fault ? { SWITCHYARD_FAULT: fault } : {}),
    });
    return up;
  }

  async function ready(server: UpProcess): Promise<void> {
    await server.ready();
    auth = adminAuth(fleet.dataDir);
  }

  async function versions(): Promise<Record<string, string>> {
    const status = await call<{ services: { service: string; tracks: { track: string; version: string }[] }[] }>(
      api,
      auth,
      'GET',
      '/v1/status',
    );
    return Object.fromEntries((status.body.services[0]?.tracks ?? []).map((t) => [t.track, t.version]));
  }

  async function commitsOf(release: string): Promise<string[]> {
    const history = await call<{ commits: { message: string; releaseId: string | null }[] }>(
      api,
      auth,
      'GET',
      '/v1/services/api/history?limit=200',
    );
    return history.body.commits
      .filter((c) => c.releaseId === release)
      .map((c) => c.message.split('\n')[0] as string)
      .reverse();
  }

  beforeAll(async () => {
    expect(HTTP_SERVICE).toContain('http-service.mjs');
    fleet = await writeReleaseUpFleet('sy-crash-');
    ({ api, url } = fleet);
  });

  afterAll(async () => {
    await up?.stop();
  });

  async function crashAndResume(
    fault: string,
    version: string,
  ): Promise<{ done: ReleaseBody; versions: Record<string, string>; commits: string[] }> {
    const first = start(fault);
    await ready(first);
    const traffic = new Traffic(url, ['free', 'paid', 'enterprise']);
    const deployed = await call<ReleaseBody>(api, auth, 'POST', '/v1/releases', { service: 'api', version });
    expect(deployed.status, JSON.stringify(deployed.body)).toBe(201);
    await waitForRelease(api, auth, deployed.body.id, (r) => r.phase === 'awaiting-approval');
    await call(api, auth, 'POST', `/v1/releases/${deployed.body.id}/approve`, {});
    const died = await first.exit;
    expect(died.signal, first.output()).toBe('SIGKILL');
    const second = start();
    await ready(second);
    // The routers and replicas that kept serving while the server was down are adopted, not restarted.
    expect(second.output()).toMatch(/a previous run left processes: adopted \d+ processes that kept serving/);
    const done = await waitForRelease(api, auth, deployed.body.id, terminal, 180_000);
    await traffic.stop();
    const checked = { done, versions: await versions(), commits: await commitsOf(deployed.body.id) };
    second.child.kill('SIGINT');
    expect((await second.exit).code).toBe(0);
    return checked;
  }

  it("between recording a command and running it (the free stage's roll)", async () => {
    const { done, versions, commits } = await crashAndResume('kill-before:set-track:2', '1.1.0');
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    expect(versions).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
    expect(commits).toEqual([
      'api 1.1.0: stage internal (track internal)',
      'api 1.1.0: stage free (track free, 50% of free)',
      'api 1.1.0: stage paid (track paid, 50% of paid)',
      'api 1.1.0: stage production (track production)',
      'api 1.1.0: released to every track',
    ]);
  });

  it('after running a command and before recording it (the free share)', async () => {
    const { done, versions, commits } = await crashAndResume('kill-after:set-share:1', '1.3.0');
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    expect(versions).toEqual({ internal: '1.3.0', free: '1.3.0', paid: '1.3.0', production: '1.3.0' });
    expect(commits.length).toBe(5);
  });

  it('during a stage, while gates are measured', async () => {
    const { done, versions } = await crashAndResume('kill-before:measure:3', '1.1.0');
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    expect(versions).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
  });

  it('during a rollback of a bad version', async () => {
    const { done, versions, commits } = await crashAndResume('kill-before:set-track:3', '1.2.0-fail20');
    expect(done.status, done.outcome ?? '').toBe('rolled-back');
    expect(done.outcome).toMatch(/^stage free: free failed/);
    expect(versions).toEqual({ internal: '1.1.0', free: '1.1.0', paid: '1.1.0', production: '1.1.0' });
    expect(commits.filter((c) => c.startsWith('api: rolled back 1.2.0-fail20'))).toHaveLength(1);
  });
});
