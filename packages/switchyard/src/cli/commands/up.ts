import type { Command } from 'commander';
import { createHash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import { startServer, tightenedLine } from '../../server/index.js';
import { credentialsFile, saveCredentials } from '../client.js';
import { readConfig } from '../../config-dir/index.js';
import { resolveAll, resolveFleet, type Fleet } from '../../spec/index.js';
import { VERSION } from '../../version.js';
import { paint } from '../format.js';
import { describeEvent, timestampedLine, untilStopped, workerSettings } from '../foreground.js';
import { formatStatus } from './traffic.js';

/** Where a local fleet keeps its routers, logs and process list: one directory per config dir and environment. */
export function defaultDataDir(configDir: string, env: string): string {
  const base = process.env.XDG_STATE_HOME ?? join(homedir(), '.local/state');
  const hash = createHash('sha256').update(resolve(configDir)).digest('hex').slice(0, 8);
  return join(base, 'switchyard', `${env}-${hash}`);
}

export async function pickLocalFleet(dir: string, env: string | undefined): Promise<Fleet> {
  const files = await readConfig(dir);
  if (env) {
    const fleet = resolveFleet(files, env);
    if (fleet.environment.runtime !== 'local') {
      throw new SwitchyardError('SWY_CLI_USAGE', {
        message: `The environment ${env} runs on Kubernetes, not on this machine`,
        hint: 'Run `switchyard up` with an environment whose runtime is local (e.g. --env sandbox).',
      });
    }
    return fleet;
  }
  const local = resolveAll(files).find((f) => f.environment.runtime === 'local');
  if (!local)
    throw new SwitchyardError('SWY_SPEC_ENV_NOT_FOUND', {
      message: `No environment in ${dir} runs on the local runtime`,
      hint: 'Add environments/sandbox.yaml with runtime: local.',
    });
  return local;
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('Run the fleet on this machine: every track as local processes behind its own HAProxy, until Ctrl-C')
    .argument('<config-dir>', 'directory holding services/ and environments/')
    .option('-e, --env <env>', 'environment to run (default: the first with runtime: local)')
    .option('--data-dir <dir>', 'where routers, logs and state live (default: ~/.local/state/switchyard/<env>-<hash>)')
    .option('--store <url>', 'postgres://… for a shared server (default: an embedded database in the data directory)')
    .option(
      '--config-repo <dir>',
      'the config repository every desired-state change is committed to (default: <data-dir>/config-repo)',
    )
    .option('--config-remote <url>', 'a git remote the config repository pushes each commit to')
    .action(
      async (
        dir: string,
        opts: { env?: string; dataDir?: string; store?: string; configRepo?: string; configRemote?: string },
      ) => {
        const fleet = await pickLocalFleet(dir, opts.env);
        const env = fleet.environment;
        const dataDir = opts.dataDir ?? defaultDataDir(dir, env.name);
        await mkdir(dataDir, { recursive: true, mode: 0o700 });
        const out = process.stdout;
        const tty = out.isTTY === true;
        let lastEvent = '';
        const line = timestampedLine(out);
        out.write(`Switchyard ${VERSION} — ${env.name} on this machine (data in ${dataDir})\n`);
        const started = Date.now();
        const server = await startServer({
          fleets: [fleet],
          dataDir,
          ...(opts.store ? { storeUrl: opts.store } : {}),
          ...(opts.configRepo ? { configRepoDir: opts.configRepo } : {}),
          ...(opts.configRemote ? { configRepoRemote: opts.configRemote } : {}),
          ...(process.env.SWITCHYARD_WEBHOOK_URL ? { webhookUrl: process.env.SWITCHYARD_WEBHOOK_URL } : {}),
          workers: workerSettings(),
          onRuntimeEvent: (e) => {
            lastEvent = describeEvent(e);
            if (!tty || e.type !== 'replica-ready') line(lastEvent);
          },
          onLine: line,
        });
        const runtime = server.runtime;
        // `up` keeps its store in the data directory, so its first start always makes the token.
        const tightened = server.adminToken ? await saveCredentials(server.address, server.adminToken) : [];
        if (tightened.length > 0) line(`⚠ ${tightenedLine(tightened)}`);
        const services = await runtime.status();
        const example = [...services].sort((a, b) => b.tracks.length - a.tracks.length)[0];
        out.write(
          formatStatus(
            `ready in ${((Date.now() - started) / 1000).toFixed(1)} s`,
            services,
            await runtime.workerStatus(),
          ),
        );
        for (const w of fleet.units.filter((u) => u.kind === 'Worker')) {
          const storage = join(dataDir, 'objects', w.name);
          out.write(
            `Worker ${w.name}: queue ${w.kind === 'Worker' ? w.queue.name : ''}${process.env.SWITCHYARD_AMQP_URL ? '' : ' (no SWITCHYARD_AMQP_URL: its replicas wait for a broker)'}; objects in file://${storage}\n`,
          );
        }
        out.write(
          `API and metrics: ${server.address}/v1/status  ·  /metrics  ·  /v1/openapi.json (admin token saved for the CLI in ${credentialsFile()})\n`,
        );
        if (example)
          out.write(
            `Try: curl -H 'X-Traffic-Group: free' -H 'X-User-Id: 42' ${example.address}/\n     switchyard deploy ${example.service} <version>\n`,
          );
        out.write('Ctrl-C stops everything.\n');

        const ticker = setInterval(() => {
          if (!tty) return;
          void runtime.status().then((status) => {
            const ready = status.reduce((n, s) => n + s.tracks.reduce((m, t) => m + t.ready, 0), 0);
            const desired = status.reduce((n, s) => n + s.tracks.reduce((m, t) => m + t.desired, 0), 0);
            const routers = status.filter((s) => s.routerPid !== undefined).length;
            out.write(
              `\r\x1b[2K${paint(out, ready === desired ? 'green' : 'yellow', '●')} ${ready}/${desired} replicas ready · ${routers}/${status.length} routers up${lastEvent ? ` · ${lastEvent}` : ''}`,
            );
          });
        }, 1000);

        await untilStopped(server, out, () => clearInterval(ticker));
      },
    );
}
