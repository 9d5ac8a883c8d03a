import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';

/** promtool beside the Prometheus that test/infra installs (Debian's prometheus package ships both). */
export function promtoolPath(): string {
  return join(dirname(process.env.SWITCHYARD_PROMETHEUS_BIN ?? '/usr/bin/prometheus'), 'promtool');
}

/**
 * What `promtool check metrics` says about an exposition text (the lint Prometheus users run on
 * their targets): empty when it passes, else its complaints, one per line.
 */
export function promtoolProblems(exposition: string): string {
  const run = spawnSync(promtoolPath(), ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  if (run.error)
    throw new Error(`${promtoolPath()} did not run (${run.error.message}): test/infra/install prometheus installs it`);
  if (run.status === 0) return '';
  return `${run.stdout}${run.stderr}`.trim() || `promtool check metrics exited ${String(run.status)}`;
}
