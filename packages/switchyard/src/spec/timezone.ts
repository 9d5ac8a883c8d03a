import { closest } from './words.js';

/**
 * Time zones as the runtime's own Intl knows them: the freeze check and the schedule engine
 * format dates with Intl, so a name Intl refuses would fail every deploy with a RangeError.
 */
export function isTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

let known: readonly string[] | undefined;

/** The IANA name closest to a misspelt one (`Europe/Pariss` → `Europe/Paris`), if any is close. */
export function suggestTimezone(name: string): string | undefined {
  known ??= ['UTC', ...Intl.supportedValuesOf('timeZone')];
  return closest(name, known);
}

/** Why `name` cannot be used, with a fix; undefined when it can. */
export function timezoneProblem(name: string): { message: string; hint: string } | undefined {
  if (isTimezone(name)) return undefined;
  const suggestion = suggestTimezone(name);
  return {
    message: `"${name}" is not a time zone`,
    hint: `${suggestion ? `Did you mean "${suggestion}"? ` : ''}Use an IANA time zone name such as UTC, Europe/Paris or America/New_York.`,
  };
}
