import { WorkerError } from '../errors/index.js';
import { parseDuration, parseMemory } from '../units/index.js';
import type { WorkerClassName } from './model.js';

/**
 * Checks of one setting, given in code or in the environment, shared by both so that an
 * option and its variable accept the same values. Each throws SWY_WORKER_CONFIG naming the
 * option or variable at fault; undefined stays undefined (the next source decides).
 */

export type Env = Readonly<Record<string, string | undefined>>;

export function invalid(name: string, value: unknown, expected: string): WorkerError {
  return new WorkerError('SWY_WORKER_CONFIG', {
    message: `${name} is ${JSON.stringify(value)}; expected ${expected}`,
    details: { name, value },
  });
}

/** A variable set to blanks counts as unset. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** A number is milliseconds already; text follows the units module (never rounded). */
export function duration(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'number' ? value : parseDuration(value);
  if (ms === undefined || !Number.isInteger(ms) || ms <= 0)
    throw invalid(name, value, 'a positive duration such as 20s, 2m or 250ms');
  return ms;
}

/** A number is bytes already; text is a Kubernetes memory quantity. */
export function bytes(name: string, value: string | number | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : parseMemory(value);
  if (n === undefined || !Number.isInteger(n) || n <= 0)
    throw invalid(name, value, 'a positive byte count such as 536870912 or 512Mi');
  return n;
}

export interface Range {
  readonly min: number;
  readonly max: number;
}

export const RANGE = {
  prefetch: { min: 1, max: 1000 },
  attempts: { min: 1, max: 100 },
  deliveryLimit: { min: 1, max: 1000 },
  port: { min: 0, max: 65535 },
} as const satisfies Record<string, Range>;

export function integer(name: string, value: string | number | undefined, range: Range): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < range.min || n > range.max)
    throw invalid(name, value, `a whole number from ${range.min} to ${range.max}`);
  return n;
}

export function workerClass(name: string, value: string | undefined): WorkerClassName | undefined {
  if (value === undefined || value === 'normal' || value === 'fallback') return value;
  throw invalid(name, value, 'normal or fallback');
}
