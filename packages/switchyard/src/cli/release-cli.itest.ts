import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../test/support/cli.js';
import { VERSION } from '../version.js';
import { call, RELEASE_SERVICE, terminal, Traffic, waitForRelease } from '../../test/support/release.js';
import {
  adminAuth,
  startForeground,
  startUp,
  waitFor,
  writeReleaseUpFleet,
  type UpProcess,
} from '../../test/support/up.js';

/**
 * The release commands against a real `switchyard up`: an approval given before the stage
 * waits (kept across a restart of the server), the approve command printed when a release
 * waits, `deploy --timeout`, and `status --watch` following a release to its end.
 */
describe('switchyard deploy, approve and status --watch against a running server', () => {
  let fleet: Awaited<ReturnType<typeof writeReleaseUpFleet>>;
  let up: UpProcess;
  let traffic: Traffic;
  let auth: string;

  const env = () => ({ XDG_CONFIG_HOME: fleet.dataDir, SWITCHYARD_API: fleet.api });
  const cli = (args: readonly string[]): Promise<CliResult> => runCli(args, { env: env() });

  async function start(): Promise<void> {
    up = startUp(fleet.dir, fleet.dataDir, { XDG_CONFIG_HOME: fleet.dataDir });
    await up.ready();
    auth = adminAuth(fleet.dataDir);
  }

  beforeAll(async () => {
    // The internal stage lasts long enough to approve it, and restart the server, before it waits.
    const [internal, ...rest] = RELEASE_SERVICE.release.stages;
    fleet = await writeReleaseUpFleet('sy-cli-release-', { stages: [{ ...internal!, duration: '30s' }, ...rest] });
    await start();
    traffic = new Traffic(fleet.url, ['free', 'paid', 'enterprise']);
  });

  afterAll(async () => {
    await traffic?.stop();
    await up?.stop();
  });

  it("version prints the client's version and the server's", async () => {
    const json = await cli(['version', '-o', 'json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      client: { version: VERSION },
      server: { address: fleet.api, version: VERSION, environments: ['sandbox'] },
    });
    expect((await cli(['version'])).stdout).toBe(`client: ${VERSION}\nserver: ${VERSION} at ${fleet.api} (sandbox)\n`);
  });

  it('approve right after deploy is recorded, kept across a restart, and applied when the stage passes', async () => {
    const deployed = await cli(['deploy', 'api', '1.1.0', '--detach', '-o', 'json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    const release = JSON.parse(deployed.stdout) as { id: string; phase: string; approval: unknown };
    expect(release.approval).toBeNull();

    const approved = await cli(['approve', 'api', '--reason', 'signed off in the change review']);
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toMatch(
      /^✔ approve: stage internal approved ahead; it advances once it passes · api 1\.1\.0 \[running\/(applying|observing)\] stage 1\/4 internal/,
    );
    const audit = await cli(['audit', '--action', 'release.approve', '-o', 'json']);
    expect(JSON.parse(audit.stdout)).toMatchObject({
      entries: [{ action: 'release.approve', outcome: 'succeeded', reason: 'signed off in the change review' }],
    });

    // A restart of the server keeps the approval: it is part of the release's recorded state.
    expect(await up.stop()).toBe(0);
    await start();
    const kept = await call<{ approval: { stage: string; by: string } | null; stage: { name: string } }>(
      fleet.api,
      auth,
      'GET',
      `/v1/releases/${release.id}`,
    );
    expect(kept.body.stage.name).toBe('internal');
    expect(kept.body.approval).toMatchObject({ stage: 'internal', by: expect.any(String) as string });

    const done = await waitForRelease(fleet.api, auth, release.id, terminal, 180_000);
    expect(done.status, done.outcome ?? '').toBe('succeeded');
    // No second approval was needed: the one given ahead is the only one.
    const approvals = await cli(['audit', '--action', 'release.approve', '-o', 'json']);
    expect((JSON.parse(approvals.stdout) as { entries: unknown[] }).entries).toHaveLength(1);
  });

  it('deploy prints the approve command when the release waits, and --timeout ends it with exit 7', async () => {
    const deployed = await cli(['deploy', 'api', '1.3.0', '--timeout', '45s']);
    expect(deployed.code, deployed.stdout + deployed.stderr).toBe(7);
    const id = /^release (\S+)$/m.exec(deployed.stdout)?.[1] ?? '';
    // The command as it works from anywhere: the API address is in it (the default one would not be).
    expect(deployed.stdout).toContain(`⏸ waiting for approval: switchyard approve ${id} --api ${fleet.api}\n`);
    expect(deployed.stderr).toContain('error SWY_RELEASE_WAIT_TIMEOUT: api 1.3.0 has not ended within 45s:');
    expect(deployed.stderr).toContain('the release goes on');
    expect(deployed.stderr).toContain(`approve it with \`switchyard approve ${id}\``);

    // status --watch follows it to its end once someone approves.
    const watching = startForeground(['status', 'api', '--watch', '--timeout', '3m'], env());
    await waitFor('the watch to show the release', () => /awaiting-approval/.test(watching.output()), 30_000);
    const approved = await cli(['approve', id]);
    expect(approved.stdout).toMatch(/^✔ approve: api 1\.3\.0 \[running\/applying\] stage 2\/4 free/);
    const watched = await watching.exit;
    expect(watched.code, watching.output()).toBe(0);
    expect(watching.output()).toMatch(/^api 1\.3\.0 \[running\/awaiting-approval\] stage 1\/4 internal/);
    expect(watching.output()).toMatch(/stage 4\/4 production/);
    expect(watching.output()).toMatch(/✔ api 1\.3\.0: succeeded\n$/);
  });
});
