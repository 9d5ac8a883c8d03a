import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SwitchyardError } from '../../errors/index.js';
import { paint } from '../format.js';

/**
 * `switchyard sandbox`: the project's Kubernetes test bed (test/k8s) as a disposable local
 * cluster — a real control plane with simulated nodes — to try the Kubernetes runtime on.
 */

/** test/k8s of the checkout this CLI runs from (src/ or dist/ alike), or SWITCHYARD_SANDBOX_SCRIPTS. */
export function sandboxScripts(): string {
  const explicit = process.env.SWITCHYARD_SANDBOX_SCRIPTS;
  const dir = explicit ?? join(dirname(fileURLToPath(import.meta.url)), '../../../../../test/k8s');
  if (!existsSync(join(dir, 'up'))) {
    throw new SwitchyardError('SWY_KUBE_SANDBOX_UNAVAILABLE', {
      message: `The sandbox scripts are not in ${dir}: this switchyard does not run from a checkout of the Switchyard repository`,
      details: { dir },
    });
  }
  return dir;
}

interface Outcome {
  readonly code: number;
  readonly stdout: string;
}

/** Runs one script: its progress goes to our stderr as it comes, its stdout is captured. */
function runScript(script: string, args: readonly string[], stdout: 'capture' | 'inherit'): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(sandboxScripts(), script), [...args], {
      stdio: ['ignore', stdout === 'capture' ? 'pipe' : 'inherit', 'inherit'],
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (err) =>
      reject(
        new SwitchyardError('SWY_KUBE_SANDBOX_UNAVAILABLE', {
          message: `test/k8s/${script} could not run: ${err.message}`,
          cause: err,
        }),
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout: out }));
  });
}

function nameArgs(opts: { name?: string }): string[] {
  return opts.name ? ['--name', opts.name] : [];
}

export function registerSandbox(program: Command): void {
  const sandbox = program
    .command('sandbox')
    .description(
      'A disposable local Kubernetes cluster (real control plane, kwok nodes) to try the Kubernetes runtime on',
    );

  sandbox
    .command('up')
    .description('Start the sandbox cluster (the first start builds Kubernetes from source: 15-30 min; then seconds)')
    .option('--name <name>', 'cluster name, for several sandboxes side by side', 'sandbox')
    .option('--port-offset <n>', 'added to every port of a second cluster (e.g. 100)')
    .option(
      '--real-node',
      'also run a real node (kubelet + containerd on this machine, node pool "real") where the example fleet serves',
    )
    .action(async (opts: { name?: string; portOffset?: string; realNode?: boolean }) => {
      const args = [
        ...nameArgs(opts),
        ...(opts.portOffset ? ['--port-offset', opts.portOffset] : []),
        ...(opts.realNode ? ['--real-node'] : []),
      ];
      const { code, stdout } = await runScript('up', args, 'capture');
      if (code !== 0)
        throw new SwitchyardError('SWY_KUBE_SANDBOX_UNAVAILABLE', {
          message: `test/k8s/up failed (exit ${code}); its output above says why`,
          details: { exit: code },
        });
      const kubeconfig = /^KUBECONFIG=(.*)$/m.exec(stdout)?.[1] ?? '';
      const envFile = /^env: source (.*)$/m.exec(stdout)?.[1] ?? '';
      const context = `switchyard-${opts.name ?? 'sandbox'}`;
      const out = process.stdout;
      out.write(
        [
          `${paint(out, 'green', '✔')} sandbox cluster ${opts.name ?? 'sandbox'} is up (context ${context})`,
          `  kubeconfig  ${kubeconfig}`,
          `  use it      export KUBECONFIG=${kubeconfig}    (or: source ${envFile}, which also puts kubectl on PATH)`,
          `              kubectl get nodes -L switchyard.dev/node-pool,switchyard.dev/node-class`,
          `  deploy      switchyard apply examples/video-platform --env staging --context ${context} --kubeconfig ${kubeconfig}`,
          `  stop it     switchyard sandbox down${opts.name && opts.name !== 'sandbox' ? ` --name ${opts.name}` : ''}`,
          '',
        ].join('\n'),
      );
    });

  sandbox
    .command('down')
    .description('Stop the sandbox cluster (its logs stay in the run directory unless --clean)')
    .option('--name <name>', 'cluster name', 'sandbox')
    .option('--clean', 'also remove its run directory')
    .action(async (opts: { name?: string; clean?: boolean }) => {
      const { code } = await runScript('down', [...nameArgs(opts), ...(opts.clean ? ['--clean'] : [])], 'inherit');
      if (code !== 0)
        throw new SwitchyardError('SWY_KUBE_SANDBOX_UNAVAILABLE', {
          message: `test/k8s/down failed (exit ${code}); its output above says why`,
          details: { exit: code },
        });
    });

  sandbox
    .command('status')
    .description('Show whether the sandbox cluster runs (exit code 1 when it does not)')
    .option('--name <name>', 'cluster name', 'sandbox')
    .action(async (opts: { name?: string }) => {
      const { code } = await runScript('status', nameArgs(opts), 'inherit');
      if (code !== 0) process.exitCode = 1;
    });
}
