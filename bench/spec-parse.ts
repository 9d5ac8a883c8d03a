/**
 * Configuration parsing benchmark: does `validate` stay linear in the size of its files?
 * The same work (parse, check every field, place every problem at its line) on files of
 * 5,000, 20,000 and 80,000 keys; each figure is the CPU time per key, and its ratio to the
 * smallest file's CPU time per key measured in the same run: linear parsing shows as ~1.0×
 * (less where fixed costs spread over more keys), quadratic parsing as 4× and 16×. Three shapes of file:
 *   - valid: one service whose `env` holds every key;
 *   - invalid: every key unknown, so every key becomes a problem located at its line;
 *   - overlay: half the keys in the service file, half in an environment's overlay of it.
 * Then 5 MB of keys through the parser alone, and the built CLI's answer on a 5 MB file
 * (refused by the size limit before parsing) against its answer on the example fleet.
 * Prints JSON. Run with `bench/run spec-parse`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSwitchyardError } from '../packages/switchyard/src/errors/index.js';
import { parseConfig, resolveAll, SourceFile } from '../packages/switchyard/src/spec/index.js';
import { CLI, REPO_ROOT } from '../packages/switchyard/test/support/cli.js';
import { percentile, round } from './lib.js';

const KEYS = (process.env.BENCH_KEYS ?? '5000,20000,80000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BIG_BYTES = Number(process.env.BENCH_BIG_BYTES ?? 5_000_000);
/** The benchmark measures the parser past the size limits that protect `validate`. */
const UNLIMITED = { limits: { fileBytes: Infinity, totalBytes: Infinity } };

const SERVICE = `apiVersion: switchyard.dev/v1
kind: Service
name: api
team: web
image: registry.example.com/video/api
command: [node, app.mjs]
version: 1.0.0
resources: { cpu: 100m, memory: 128Mi }
`;
const ENVIRONMENT = 'apiVersion: switchyard.dev/v1\nkind: Environment\nname: production\nruntime: kubernetes\n';

function envLines(from: number, to: number, indent: string): string {
  const lines: string[] = [];
  for (let i = from; i < to; i++) lines.push(`${indent}VAR_${i}: "value-${i}"`);
  return `${lines.join('\n')}\n`;
}

const SHAPES: Record<string, (keys: number) => Record<string, string>> = {
  valid: (keys) => ({
    'services/api.yaml': `${SERVICE}env:\n${envLines(0, keys, '  ')}`,
    'environments/production.yaml': ENVIRONMENT,
  }),
  invalid: (keys) => ({
    'services/api.yaml': `${SERVICE}${Array.from({ length: keys }, (_, i) => `key${i}: ${i}`).join('\n')}\n`,
    'environments/production.yaml': ENVIRONMENT,
  }),
  overlay: (keys) => ({
    'services/api.yaml': `${SERVICE}env:\n${envLines(0, keys / 2, '  ')}`,
    'environments/production.yaml': `${ENVIRONMENT}services:\n  api:\n    env:\n${envLines(keys / 2, keys, '      ')}`,
  }),
};

/** Parses and validates every environment, as `switchyard validate` does; returns the problems found. */
function validate(texts: Record<string, string>): number {
  try {
    resolveAll(parseConfig('bench', texts, UNLIMITED));
    return 0;
  } catch (err) {
    if (isSwitchyardError(err) && err.code === 'SWY_SPEC_INVALID') return err.issues.length;
    throw err;
  }
}

/** Median wall time and CPU time of ROUNDS runs: CPU time moves less when other work shares the machine. */
function measure(run: () => void): { ms: number; cpuMs: number } {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const start = performance.now();
    const used = process.cpuUsage();
    run();
    const spent = process.cpuUsage(used);
    wall.push(performance.now() - start);
    cpu.push((spent.user + spent.system) / 1000);
  }
  return { ms: round(percentile(wall, 50), 1), cpuMs: round(percentile(cpu, 50), 1) };
}

function scaling(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [shape, make] of Object.entries(SHAPES)) {
    validate(make(KEYS[0] ?? 1000)); // warms the JIT, so that the smallest file is not charged for it
    const rows = KEYS.map((keys) => {
      const texts = make(keys);
      let problems = 0;
      const time = measure(() => void (problems = validate(texts)));
      const bytes = Object.values(texts).reduce((n, t) => n + Buffer.byteLength(t), 0);
      return { keys, bytes, problems, ...time, cpuUsPerKey: (time.cpuMs * 1000) / keys };
    });
    const base = rows[0]?.cpuUsPerKey ?? NaN;
    out[shape] = rows.map((r) => ({
      ...r,
      cpuUsPerKey: round(r.cpuUsPerKey, 2),
      ratioToSmallest: round(r.cpuUsPerKey / base, 2),
    }));
  }
  return out;
}

function bigFile(): string {
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < BIG_BYTES; i++) {
    const line = `  VAR_${i}: "value-${i}"`;
    lines.push(line);
    bytes += line.length + 1;
  }
  return `${SERVICE}env:\n${lines.join('\n')}\n`;
}

function cli(dir: string): { ms: number; exit: number | null; code: string | undefined } {
  const start = performance.now();
  const child = spawnSync(process.execPath, [CLI, 'validate', dir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = performance.now() - start;
  return { ms: round(ms, 1), exit: child.status, code: /error (SWY_[A-Z_]+)/.exec(child.stderr)?.[1] };
}

function oneBigFile(): Record<string, unknown> {
  const text = bigFile();
  const keys = text.split('\n').length;
  let parseProblems = 0;
  const parser = measure(() => void (parseProblems = SourceFile.parse('services/api.yaml', text).issues.length));
  const inProcess = measure(
    () => void validate({ 'services/api.yaml': text, 'environments/production.yaml': ENVIRONMENT }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'sy-bench-spec-'));
  mkdirSync(join(dir, 'services'));
  writeFileSync(join(dir, 'services/api.yaml'), text);
  const example = cli(join(REPO_ROOT, 'examples/video-platform'));
  const big = cli(dir);
  rmSync(dir, { recursive: true });
  return {
    bytes: Buffer.byteLength(text),
    keys,
    parserAlone: { ...parser, problems: parseProblems },
    validateInProcess: inProcess,
    cli: { bigFile: big, exampleFleet: example, ratioBigToExample: round(big.ms / example.ms, 2) },
  };
}

function main(): void {
  const result = {
    benchmark: 'spec-parse',
    rounds: ROUNDS,
    scaling: scaling(),
    bigFile: BIG_BYTES > 0 ? oneBigFile() : 'skipped',
  };
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

main();
