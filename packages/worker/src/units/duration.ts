/**
 * Durations as the platform writes them, kept in milliseconds: one unit (`250ms`, `20s`,
 * `1.5h`, `2d`) or a Go-style sequence of them (`1h30m`, `2m30s`, `1s500ms`), as `kubectl`,
 * Argo Rollouts and Prometheus users write them. The rule is the one quantities follow: never
 * rounded. A duration that is not a whole number of milliseconds (`1.5ms`, `0.0001s`, `1500us`)
 * is refused, in a service file, on the command line and in a worker's environment alike.
 */

const DURATION = /^(?:[0-9]+(?:\.[0-9]+)?(?:ns|us|µs|ms|s|m|h|d))+$/;
const PART = /([0-9]+)(?:\.([0-9]+))?(ns|us|µs|ms|s|m|h|d)/g;
/** Nanoseconds per unit: the finest unit a duration may be written in. */
const UNIT_NS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
};
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** What a duration looks like, for a message that refuses one. */
export const DURATION_EXAMPLES = '250ms, 90s, 5m, 1h30m or 2d';

/** `20s` → 20000, `1h30m` → 5400000, `1.5h` → 5400000, `0` → 0. Undefined when malformed or finer than 1ms. */
export function parseDuration(input: string): number | undefined {
  const text = input.trim();
  if (text === '0') return 0;
  if (!DURATION.test(text)) return undefined;
  // Exact decimal arithmetic: `1.1s` is 1100ms (1.1 × 1000 in floating point is not).
  let ns = 0n;
  for (const [, whole = '', fraction = '', unit = ''] of text.matchAll(PART)) {
    const scale = 10n ** BigInt(fraction.length);
    const scaled = BigInt(`${whole}${fraction}`) * (UNIT_NS[unit] as bigint);
    if (scaled % scale !== 0n) return undefined;
    ns += scaled / scale;
  }
  if (ns % 1_000_000n !== 0n) return undefined;
  const ms = Number(ns / 1_000_000n);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/** Canonical duration text: the largest unit that divides exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const factor = UNIT_MS[unit] as number;
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
