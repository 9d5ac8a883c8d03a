/**
 * Kubernetes resource quantities, read by the rules of Kubernetes' own parser
 * (k8s.io/apimachinery `resource.Quantity`): an optionally signed decimal number
 * (`1`, `1.5`, `.5`, `5.`) followed by a binary suffix (Ki…Ei), a decimal suffix (n, u, m,
 * k, M, G, T, P, E) or a decimal exponent (`129e6`, `1E-3`).
 *
 * Switchyard never rounds: CPU is kept in millicores and memory in bytes, and a value finer
 * than that unit is refused rather than rounded, so what a file says is what runs.
 */

const GRAMMAR = /^([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]?))$/;

const DECIMAL_EXPONENT: Readonly<Record<string, number>> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_EXPONENT: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** Beyond this decimal exponent no resource amount is meant (and exact arithmetic would grow without bound). */
const EXPONENT_RANGE = 64;

/** `-1.5Ki` as sign, digits 15, × 10^-1 × 2^10: exact, whatever the floating point would make of it. */
interface Quantity {
  readonly negative: boolean;
  readonly digits: string;
  readonly exp10: number;
  readonly exp2: number;
  /** A decimal suffix below one (n, u, m). */
  readonly fractionalSuffix: boolean;
}

function read(input: string | number): Quantity | undefined {
  const match = GRAMMAR.exec(typeof input === 'number' ? String(input) : input.trim());
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponent, suffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  const exp10 = (exponent === undefined ? (DECIMAL_EXPONENT[suffix] ?? 0) : Number(exponent)) - fraction.length;
  if (Math.abs(exp10) > EXPONENT_RANGE) return undefined;
  return {
    negative: sign === '-',
    digits: `${whole}${fraction}`,
    exp10,
    exp2: BINARY_EXPONENT[suffix] ?? 0,
    fractionalSuffix: exponent === undefined && (DECIMAL_EXPONENT[suffix] ?? 0) < 0,
  };
}

/** The quantity times 10^shift when that is a whole number; undefined otherwise. */
function wholeNumber(q: Quantity, shift: number): number | undefined {
  let n = BigInt(q.digits) * 2n ** BigInt(q.exp2);
  const e = q.exp10 + shift;
  if (e >= 0) {
    n *= 10n ** BigInt(e);
  } else {
    const divisor = 10n ** BigInt(-e);
    if (n % divisor !== 0n) return undefined;
    n /= divisor;
  }
  return Number(q.negative ? -n : n);
}

/** A quantity's value (`250m` → 0.25, `1Gi` → 1073741824, `129e6` → 129000000); undefined when it is not one. */
export function parseQuantity(input: string | number): number | undefined {
  const q = read(input);
  if (!q) return undefined;
  return Number(`${q.negative ? '-' : ''}${q.digits}e${q.exp10}`) * 2 ** q.exp2;
}

/** CPU as millicores: `250m` → 250, `0.5` → 500, `2` → 2000. Undefined when malformed, negative or finer than 1m. */
export function parseCpu(input: string | number): number | undefined {
  const q = read(input);
  return q && !q.negative ? wholeNumber(q, 3) : undefined;
}

/**
 * Memory as bytes: `512Mi` → 536870912, `1G` → 1e9, `129e6` → 129000000. Undefined when
 * malformed, negative or not a whole number of bytes; `500m` (half a byte, almost always
 * meant as 500Mi) is refused, as are the other suffixes below one.
 */
export function parseMemory(input: string | number): number | undefined {
  const q = read(input);
  return q && !q.negative && !q.fractionalSuffix ? wholeNumber(q, 0) : undefined;
}

/** Canonical CPU text: whole cores as `2`, anything else as millicores `250m`. */
export function formatCpu(millis: number): string {
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

const BINARY_SUFFIXES = ['Ei', 'Pi', 'Ti', 'Gi', 'Mi', 'Ki'] as const;
const DECIMAL_SUFFIXES = ['E', 'P', 'T', 'G', 'M', 'k'] as const;

/** Canonical memory text: the largest binary suffix that divides exactly, else decimal, else bytes. */
export function formatMemory(bytes: number): string {
  for (const suffix of BINARY_SUFFIXES) {
    const factor = 2 ** (BINARY_EXPONENT[suffix] as number);
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  for (const suffix of DECIMAL_SUFFIXES) {
    const factor = 10 ** (DECIMAL_EXPONENT[suffix] as number);
    if (bytes >= factor && bytes % factor === 0) return `${bytes / factor}${suffix}`;
  }
  return String(bytes);
}
