import { catalogue, type ErrorCode, type ErrorKind } from './catalogue.js';

/** One problem in a user's input, as data: where it is, what is wrong, how to fix it. */
export interface Issue {
  /** Stable rule or validation code, e.g. `too_small` or `SWY-TRACK-REPLICAS`. */
  readonly code: string;
  /** File the problem is in, relative to the configuration directory when known. */
  readonly file?: string;
  /** Path inside the document, e.g. `tracks.free.replicas`. */
  readonly path?: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
  readonly hint?: string;
}

export interface ErrorOptions {
  /** Overrides the catalogue's message with a more precise one. */
  readonly message?: string;
  /** Overrides the catalogue's hint. */
  readonly hint?: string;
  readonly issues?: readonly Issue[];
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

/** Every error Switchyard raises on purpose; the code ties it to the catalogue. */
export class SwitchyardError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly status: number;
  readonly exit: number;
  readonly hint: string;
  readonly issues: readonly Issue[];
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, options: ErrorOptions = {}) {
    const entry = catalogue[code];
    super(options.message ?? entry.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SwitchyardError';
    this.code = code;
    this.kind = entry.kind;
    this.status = entry.status;
    this.exit = entry.exit;
    this.hint = options.hint ?? entry.hint;
    this.issues = options.issues ?? [];
    this.details = options.details ?? {};
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      hint: this.hint,
      ...(this.issues.length > 0 ? { issues: this.issues } : {}),
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
    };
  }
}

export function isSwitchyardError(err: unknown): err is SwitchyardError {
  return err instanceof SwitchyardError;
}
