import { stat } from 'node:fs/promises';
import { SwitchyardError } from '../errors/index.js';
import {
  CONFIG_LIMITS,
  ENVIRONMENTS_DIR,
  parseConfig,
  resolveFleet,
  SERVICES_DIR,
  type ConfigFiles,
  type Fleet,
  type ParseOptions,
} from '../spec/index.js';
import { readConfigFiles } from './files.js';

/**
 * A configuration directory on disk: its files read (links followed inside it, nothing skipped
 * without a word), then parsed and checked by the pure spec.
 */

/** Reads services/ and environments/ of `dir`. Throws only when the directory itself is unusable or too large. */
export async function readConfig(dir: string, options: Pick<ParseOptions, 'limits'> = {}): Promise<ConfigFiles> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new SwitchyardError('SWY_SPEC_DIR_NOT_FOUND', {
      message: `The configuration directory ${dir} does not exist`,
      details: { dir },
    });
  }
  const { texts, issues } = await readConfigFiles(dir, [SERVICES_DIR, ENVIRONMENTS_DIR], {
    ...CONFIG_LIMITS,
    ...options.limits,
  });
  return parseConfig(dir, texts, { ...options, issues });
}

/** One environment's fleet from a configuration directory. */
export async function loadFleet(dir: string, envName: string): Promise<Fleet> {
  return resolveFleet(await readConfig(dir), envName);
}

export { GitSource, isGitUrl, type GitSourceOptions } from './git-source.js';
export { gitWorkTree } from './work-tree.js';
