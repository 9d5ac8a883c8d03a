/**
 * Kubernetes resource quantities and durations, parsed once so that every later step
 * (rendering, policy, capacity) works with numbers: CPU in millicores, memory in bytes,
 * durations in milliseconds.
 */

const QUANTITY = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;

const SUFFIX: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

function parseQuantity(input: string | number): number | undefined {
  const text = typeof input === 'number' ? String(input) : input.trim();
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const [, digits = '', suffix = ''] = match;
  const factor = SUFFIX[suffix];
  if (factor === undefined) return undefined;
  return Number(digits) * factor;
}

/** CPU as millicores: `250m` → 250, `0.5` → 500, `2` → 2000. Undefined when malformed. */
export function parseCpu(input: string | number): number | undefined {
  const cores = parseQuantity(input);
  if (cores === undefined) return undefined;
  const millis = cores * 1000;
  // Kubernetes refuses CPU finer than a millicore.
  if (Math.abs(millis - Math.round(millis)) > 1e-9) return undefined;
  return Math.round(millis);
}

/** Memory as bytes: `512Mi` → 536870912, `1G` → 1e9. Undefined when malformed or fractional. */
export function parseMemory(input: string | number): number | undefined {
  if (typeof input === 'string' && input.trim().endsWith('m')) return undefined;
  const bytes = parseQuantity(input);
  if (bytes === undefined || !Number.isInteger(bytes)) return undefined;
  return bytes;
}

/** Canonical CPU text: whole cores as `2`, anything else as millicores `250m`. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** Canonical memory text: the largest binary suffix that divides exactly, else decimal, else bytes. */
export function formatMemory(bytes: number): string {
  for (const suffix of ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const) {
    const factor = SUFFIX[suffix] as number;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  for (const suffix of ['E', 'P', 'T', 'G', 'M', 'k'] as const) {
    const factor = SUFFIX[suffix] as number;
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/;
const DURATION_UNIT: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations such as `20s`, `5m`, `1.5h`, `250ms` → milliseconds. Undefined when malformed. */
export function parseDuration(input: string): number | undefined {
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  const [, amount = '', unit = ''] = match;
  const factor = DURATION_UNIT[unit];
  if (factor === undefined) return undefined;
  const ms = Number(amount) * factor;
  return Number.isInteger(ms) ? ms : undefined;
}

/** Canonical duration text: the largest unit that divides exactly. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const factor = DURATION_UNIT[unit] as number;
    if (ms >= factor && ms % factor === 0) return `${ms / factor}${unit}`;
  }
  return `${ms}ms`;
}
