import {
  calibrate,
  formatDuration,
  formatMemory,
  readStats,
  type Calibration,
  type Limits,
  type Split,
} from '@switchyard/worker';
import type { Command } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SwitchyardError } from '../../errors/index.js';
import { loadOneFleet, selectUnits } from '../fleet.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

interface CalibrateOptions {
  stats: string[];
  target: string;
  headroom: string;
  config?: string;
  env?: string;
  output?: string;
}

/** Stats files: the paths given, and every *.jsonl file in the directories given. */
async function statsFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info)
      throw new SwitchyardError('SWY_CLI_USAGE', {
        message: `The stats path ${path} does not exist`,
        hint: 'Pass the files workers append to (SWITCHYARD_TASK_STATS_FILE), or their directory.',
      });
    if (info.isDirectory())
      files.push(
        ...(await readdir(path))
          .filter((f) => f.endsWith('.jsonl'))
          .sort()
          .map((f) => join(path, f)),
      );
    else files.push(path);
  }
  return files;
}

function percent(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 100)
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--${name} must be a percentage above 0 and at most 100, not ${text}`,
    });
  return n / 100;
}

async function currentLimits(opts: CalibrateOptions, worker: string): Promise<Limits | undefined> {
  if (!opts.config) return undefined;
  if (!opts.env)
    throw new SwitchyardError('SWY_CLI_USAGE', { message: '--config needs --env: the limits differ per environment' });
  const unit = selectUnits(await loadOneFleet(opts.config, opts.env), [worker]).units[0];
  if (unit?.kind !== 'Worker')
    throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
      message: `${worker} is a service, not a worker`,
      details: { service: worker },
    });
  return { timeoutMs: unit.normal.timeoutMs, memoryBytes: unit.normal.resources.memoryBytes };
}

/** Measured figures, for people: `1.8s`, `310.5Mi`. Limits keep the exact units the spec takes. */
const humanDuration = (ms: number) =>
  ms < 1_000 ? `${Math.round(ms)}ms` : ms < 60_000 ? `${(ms / 1_000).toFixed(1)}s` : `${(ms / 60_000).toFixed(1)}m`;
const humanBytes = (bytes: number) =>
  bytes < 2 ** 30 ? `${(bytes / 2 ** 20).toFixed(1)}Mi` : `${(bytes / 2 ** 30).toFixed(2)}Gi`;

const limitsText = (l: Limits) => `timeout ${formatDuration(l.timeoutMs)}, memory ${formatMemory(l.memoryBytes)}`;
const pct = (share: number) => `${(share * 100).toFixed(1)}%`;
/** The joint share decides the split; the separate ones show which limit holds tasks back. */
const splitText = (s: Split) =>
  `${s.normal} normal / ${s.fallback} fallback (${pct(s.normalShare)} fit time and memory together; ${pct(s.timeShare)} fit the timeout, ${pct(s.memoryShare)} the memory)`;

export function formatCalibration(worker: string, c: Calibration): string {
  const d = c.percentiles.durationMs;
  const m = c.percentiles.peakRssBytes;
  const lines = [
    `${worker}: ${c.tasks} tasks measured${c.unknown ? ` (${c.unknown} never succeeded, counted as fallback)` : ''}${c.unmeasured ? `; ${c.unmeasured} completed without figures (left out)` : ''}`,
    `  needed      p50       p95       p99       max`,
    `  duration    ${[d.p50, d.p95, d.p99, d.max].map((v) => humanDuration(v).padEnd(10)).join('')}`.trimEnd(),
    `  memory      ${[m.p50, m.p95, m.p99, m.max].map((v) => humanBytes(v).padEnd(10)).join('')}`.trimEnd(),
    `  suggested normal class (${Math.round(c.target * 100)}% fit): ${limitsText(c.suggested)}`,
    `    split: ${splitText(c.suggestedSplit)}`,
  ];
  if (c.current)
    lines.push(`  current normal class: ${limitsText(c.current.limits)}`, `    split: ${splitText(c.current.split)}`);
  lines.push(
    `  in the worker file: normal: { timeout: ${formatDuration(c.suggested.timeoutMs)}, memory: ${formatMemory(c.suggested.memoryBytes)} }`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `switchyard workers calibrate <worker>`: sizes the normal class from what tasks needed.
 * The data source is the stats file each worker appends one JSON line to per task attempt
 * (SWITCHYARD_TASK_STATS_FILE: duration, peak RSS of the task process, class, outcome).
 */
export function registerWorkers(program: Command): void {
  const workers = program.command('workers').description('Queue workers: size their classes');
  withOutput(
    workers
      .command('calibrate')
      .description("Suggest the normal class's limits so that a target share of tasks fits, from recorded task stats")
      .argument('<worker>', 'worker name (the service field of the stats records)')
      .requiredOption(
        '-s, --stats <path...>',
        'stats files or directories of *.jsonl files (SWITCHYARD_TASK_STATS_FILE)',
      )
      .option('-t, --target <percent>', 'share of tasks the normal class should fit', '95')
      .option('--headroom <percent>', 'added to the measured needs before rounding', '20')
      .option('-c, --config <dir>', "configuration directory, to compare with the worker's current limits")
      .option('-e, --env <env>', 'environment whose limits to compare with (with --config)'),
  ).action(async (worker: string, opts: CalibrateOptions & OutputFlags) => {
    const target = percent(opts.target, 'target');
    const headroom = Number(opts.headroom) / 100;
    if (!Number.isFinite(headroom) || headroom < 0)
      throw new SwitchyardError('SWY_CLI_USAGE', {
        message: `--headroom must be a percentage of at least 0, not ${opts.headroom}`,
      });
    const current = await currentLimits(opts, worker);
    const stats = (await readStats(await statsFiles(opts.stats))).filter((s) => s.service === worker);
    if (stats.length === 0) {
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `No task stats of ${worker} in ${opts.stats.join(', ')}`,
        hint: 'Run the worker with SWITCHYARD_TASK_STATS_FILE set, then pass that file (or its directory) with --stats.',
        details: { service: worker },
      });
    }
    const result = calibrate(stats, { target, headroom, ...(current ? { current } : {}) });
    if (!printData(opts, { worker, ...result })) process.stdout.write(formatCalibration(worker, result));
  });
}
