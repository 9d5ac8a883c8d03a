import { DURATION_EXAMPLES, parseDuration } from '@switchyard/worker/units';
import { SwitchyardError } from '../errors/index.js';

/** A duration flag (`--timeout 1h30m`) in milliseconds; a malformed or zero one is refused, naming it. */
export function durationFlag(flag: string): (text: string) => number {
  return (text) => {
    const ms = parseDuration(text);
    if (ms === undefined || ms <= 0)
      throw new SwitchyardError('SWY_CLI_USAGE', {
        message: `${flag} ${text} is not a duration`,
        hint: `Give a duration such as ${DURATION_EXAMPLES}.`,
      });
    return ms;
  };
}
