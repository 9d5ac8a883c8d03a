/**
 * Durations as the platform writes them (`250ms`, `20s`, `1.5h`, `2d`), kept in milliseconds.
 * The rule is the one quantities follow: never rounded. A duration that is not a whole number
 * of milliseconds (`1.5ms`, `0.0001s`) is refused, in a service file and in a worker's
 * environment or options alike.
 */

const DURATION = /^([0-9]+)(?:\.([0-9]+))?(ms|s|m|h|d)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `20s` → 20000, `5m` → 300000, `1.5h` → 5400000. Undefined when malformed or finer than 1ms. */
export function parseDuration(input: string): number | undefined {
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  const [, whole = '', fraction = '', unit = ''] = match;
  // Exact decimal arithmetic: `1.1s` is 1100ms (1.1 × 1000 in floating point is not).
  const scale = 10n ** BigInt(fraction.length);
  const scaledMs = BigInt(`${whole}${fraction}`) * BigInt(UNIT_MS[unit] as number);
  if (scaledMs % scale !== 0n) return undefined;
  const ms = Number(scaledMs / scale);
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
