import { SwitchyardError } from '../errors/index.js';

/**
 * Bounds on what a configuration may hold, checked before a byte is parsed. A service file
 * is a few kB and a fleet of a thousand services a few MB, so the bounds leave two orders of
 * magnitude of room while keeping `validate`, `render` and the server's start quick and
 * their memory small whatever lands in the directory.
 */
export interface ConfigLimits {
  /** Largest single service, worker or environment file, in bytes. */
  readonly fileBytes: number;
  /** Largest sum of every file's size, in bytes. */
  readonly totalBytes: number;
}

export const CONFIG_LIMITS: ConfigLimits = { fileBytes: 1024 * 1024, totalBytes: 16 * 1024 * 1024 };

/** Bounds on the shape of one YAML document, so that later steps never recurse or copy without end. */
export const YAML_LIMITS = {
  /** Mappings and lists inside each other; a service file nests about 6 deep. */
  depth: 64,
  /** Anchors (`&name`) and aliases (`*name`) together. */
  anchorsAndAliases: 1000,
  /** Values that aliases add by repeating what their anchors hold (a billion laughs adds 10⁹). */
  aliasedValues: 10_000,
} as const;

/** `5.3 MiB (5555555 bytes)`: readable, and exact where it matters. */
function sizeText(bytes: number): string {
  const short = formatBytes(bytes);
  return bytes < 1024 ? short : `${short} (${bytes} bytes)`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1).replace(/\.0$/, '')} KiB`;
  return `${bytes} bytes`;
}

/** Throws before parsing when one file, or all of them together, are larger than the limits allow. */
export function checkSizes(
  dir: string,
  sizes: readonly { readonly file: string; readonly bytes: number }[],
  limits: ConfigLimits,
): void {
  for (const { file, bytes } of sizes) {
    if (bytes > limits.fileBytes) {
      throw new SwitchyardError('SWY_SPEC_FILE_TOO_LARGE', {
        message: `${file} is ${sizeText(bytes)}; a configuration file may be at most ${formatBytes(limits.fileBytes)}`,
        details: { dir, file, bytes, limit: limits.fileBytes },
      });
    }
  }
  const total = sizes.reduce((sum, s) => sum + s.bytes, 0);
  if (total > limits.totalBytes) {
    throw new SwitchyardError('SWY_SPEC_TOO_LARGE', {
      message: `The configuration files in ${dir} (${sizes.length}) add up to ${sizeText(total)}; together they may be at most ${formatBytes(limits.totalBytes)}`,
      details: { dir, bytes: total, files: sizes.length, limit: limits.totalBytes },
    });
  }
}
