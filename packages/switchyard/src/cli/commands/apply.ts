import type { Command } from 'commander';
import { durationFlag } from '../duration.js';
import { loadOneFleet, selectUnits } from '../fleet.js';
import { paint } from '../format.js';
import { objectDiff } from '../object-diff.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

interface ApplyFlags {
  env: string;
  context?: string;
  kubeconfig?: string;
  dryRun?: boolean;
  service?: string[];
  prune: boolean;
  wait: boolean;
  timeout: string;
}

const timeoutMs = durationFlag('--timeout');

export function registerApply(program: Command): void {
  withOutput(
    program
      .command('apply')
      .description(
        "Render one environment's fleet and apply it to its Kubernetes cluster: server-side apply, prune what is no longer rendered, wait for the rollout",
      )
      .argument('<config-dir>', 'directory holding services/ and environments/')
      .requiredOption('-e, --env <env>', 'environment to apply (its file names the cluster context and namespace)')
      .option('--context <context>', "kubeconfig context to use instead of the environment's cluster.context")
      .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
      .option(
        '--dry-run',
        'validate every object with the API server (server-side dry run) and print what would change as a unified diff (like kubectl diff); write nothing',
      )
      .option('-s, --service <name...>', 'apply only these services (pruning stays among them)')
      .option('--no-prune', 'keep objects Switchyard rendered before and does not render now')
      .option('--no-wait', 'do not wait for the rollout')
      .option('--timeout <duration>', 'longest wait for the rollout', '5m'),
  ).action(async (dir: string, opts: ApplyFlags & OutputFlags) => {
    const fleet = selectUnits(await loadOneFleet(dir, opts.env), opts.service);
    const started = Date.now();
    const err = process.stderr;
    // Loaded here: the Kubernetes client takes most of the CLI's start-up time, and only apply needs it.
    const { KubernetesRuntime } = await import('../../runtime/kubernetes/index.js');
    const runtime = await KubernetesRuntime.connect({
      fleet,
      ...(opts.context ? { context: opts.context } : {}),
      ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}),
      wait: { timeoutMs: timeoutMs(opts.timeout) },
      onProgress: (line) =>
        err.write(
          `${line.startsWith('!') ? paint(err, 'yellow', line) : line.startsWith('✔') ? paint(err, 'green', line) : line}\n`,
        ),
    });
    try {
      const result = await runtime.apply({
        ...(opts.dryRun ? { dryRun: true } : {}),
        ...(opts.service ? { services: opts.service } : {}),
        prune: opts.prune,
        wait: opts.wait,
      });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const diff = result.changes ? objectDiff(result.changes) : undefined;
      if (
        printData(opts, {
          environment: fleet.environment.name,
          namespace: fleet.environment.namespace,
          context: runtime.client.context,
          cluster: result.cluster.identity,
          dryRun: result.dryRun,
          applied: result.applied,
          unchanged: result.unchanged,
          pruned: result.pruned,
          ...(diff !== undefined ? { diff } : {}),
          seconds: Number(seconds),
        })
      )
        return;
      if (diff) process.stdout.write(colourDiff(diff, process.stdout));
      const where = `namespace ${fleet.environment.namespace} of ${result.cluster.identity.name ? `cluster ${result.cluster.identity.name}` : `context ${runtime.client.context}`}`;
      const written = result.dryRun
        ? `${result.applied.length} objects valid (nothing written)`
        : `${result.applied.length} applied, ${result.unchanged} unchanged, ${result.pruned.length} pruned`;
      err.write(`${paint(err, 'green', '✔')} ${fleet.environment.name}: ${written} in ${where} (${seconds} s)\n`);
    } finally {
      runtime.close();
    }
  });
}

/** A unified diff as git colours it: removed lines red, added green, hunk headers cyan. */
function colourDiff(diff: string, out: NodeJS.WriteStream): string {
  return diff
    .split('\n')
    .map((line) =>
      /^(---|\+\+\+) /.test(line)
        ? paint(out, 'bold', line)
        : line.startsWith('@@')
          ? paint(out, 'cyan', line)
          : line.startsWith('-')
            ? paint(out, 'red', line)
            : line.startsWith('+')
              ? paint(out, 'green', line)
              : line,
    )
    .join('\n');
}
