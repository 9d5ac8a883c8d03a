import { SwitchyardError } from '../errors/index.js';
import { splitTrailers } from './text.js';
import { MANIFEST_FILE } from './types.js';

/**
 * What may reach the repository: names that stay one directory, files that stay inside the
 * service's, trailers and messages that cannot forge Switchyard's own trailers. Checked
 * before anything is written.
 */

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function checkName(what: string, value: string): void {
  if (!NAME.test(value) || value === '.git') {
    throw new SwitchyardError('SWY_REPO_PATH_INVALID', {
      message: `The ${what} ${JSON.stringify(value)} cannot name a directory of the config repository`,
      details: { [what]: value },
    });
  }
}

export function checkFile(service: string, path: string): void {
  const segments = path.split('/');
  if (path === MANIFEST_FILE || segments.some((s) => !NAME.test(s))) {
    throw new SwitchyardError('SWY_REPO_PATH_INVALID', {
      message: `The file ${JSON.stringify(path)} of ${service} cannot be written to the config repository: ${path === MANIFEST_FILE ? `${MANIFEST_FILE} is written from the manifest` : 'each part of its path must be a simple name inside the service directory'}`,
      details: { service, file: path },
    });
  }
}

export function checkTrailer(key: string, value: string): void {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(key) || /[\r\n]/.test(value) || value.trim() === '') {
    throw new SwitchyardError('SWY_REPO_PATH_INVALID', {
      message: `The commit trailer ${JSON.stringify(`${key}: ${value}`)} is invalid: a key of letters, digits and dashes, a one-line value`,
      details: { key },
    });
  }
}

/** Text never becomes trailers: git would join the real ones to a last paragraph of `Key: value` lines. */
export function checkMessage(message: string): void {
  const { trailers } = splitTrailers(message);
  if (Object.keys(trailers).length > 0 || /\0/.test(message)) {
    throw new SwitchyardError('SWY_REPO_MESSAGE_INVALID', {
      message: `The commit message ends in lines that read as trailers (${Object.keys(trailers).join(', ') || 'a NUL byte'}); trailers are passed apart from the text`,
      details: { trailers: Object.keys(trailers) },
    });
  }
}
