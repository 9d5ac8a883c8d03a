import { SwitchyardError } from '../errors/index.js';
import type { RoleGrants } from '../store/index.js';
import { roleIn, type Principal, type Role } from './auth.js';

/**
 * Who may manage which API tokens, as Vault and Argo CD users expect: tokens are managed by
 * admins, each only within the environments it administers. Giving a role and taking it back
 * need the same standing, so minting a token and revoking it follow one rule. Admin is the
 * highest role, so no one can give a role above their own.
 */

/** What the principal holds for a grant's environment: for `*`, only what it holds everywhere. */
function heldFor(principal: Principal, environment: string): Role | undefined {
  return environment === '*' ? principal.roles['*'] : roleIn(principal, environment);
}

/** One line per environment of `grants` that the principal does not administer; empty when it may manage them all. */
export function grantRefusals(principal: Principal, grants: RoleGrants): string[] {
  return Object.keys(grants)
    .sort()
    .flatMap((environment) => {
      const held = heldFor(principal, environment);
      if (held === 'admin') return [];
      const where = environment === '*' ? 'every environment (*)' : environment;
      return [
        `${where} needs the admin role${environment === '*' ? ' in *' : ' there'}, and ${principal.name} holds ${held ?? 'none'}`,
      ];
    });
}

/** Throws SWY_API_FORBIDDEN unless the principal administers every environment `grants` reaches. */
export function authorizeGrants(principal: Principal, grants: RoleGrants, what: string): void {
  const refusals = grantRefusals(principal, grants);
  if (refusals.length === 0) return;
  throw new SwitchyardError('SWY_API_FORBIDDEN', {
    message: `${principal.name} may not ${what}: ${refusals.join('; ')}`,
    hint: 'Tokens are managed by the admins of the environments they reach: ask one, or an admin of * for a token that reaches every environment.',
    details: { principal: principal.name, action: 'manage-tokens', environments: Object.keys(grants).sort() },
  });
}

/** A token is listed to the admins of an environment it reaches (a `*` role reaches every one). */
export function mayView(principal: Principal, grants: RoleGrants): boolean {
  if (principal.roles['*'] === 'admin') return true;
  const administers = (environment: string) => roleIn(principal, environment) === 'admin';
  return Object.keys(grants).some((environment) =>
    environment === '*' ? Object.keys(principal.roles).some(administers) : administers(environment),
  );
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

function expiryInvalid(text: string, why: string): SwitchyardError {
  return new SwitchyardError('SWY_STORE_TOKEN_INVALID', {
    message: `The expiry ${JSON.stringify(text.slice(0, 40))} ${why}`,
    details: { expires: text.slice(0, 40) },
  });
}

/** `2027-02-30` is not: JavaScript would quietly make it March 2. */
function isCalendarDate(date: string): boolean {
  const at = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(at.getTime()) && at.toISOString().slice(0, 10) === date;
}

/**
 * When a token given `expires` stops working: a duration from now (`12h`, `30d`, `2w`), a
 * date (`2027-01-31`: 00:00 UTC that day) or an RFC 3339 time with its offset.
 */
export function parseExpiry(text: string, now: Date): Date {
  const duration = /^(\d{1,5})([hdw])$/.exec(text);
  let at: Date;
  if (duration) {
    at = new Date(now.getTime() + Number(duration[1]) * (UNIT_MS[duration[2] as string] as number));
  } else if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    if (!isCalendarDate(text)) throw expiryInvalid(text, 'is not a calendar date');
    at = new Date(`${text}T00:00:00Z`);
  } else if (/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/.test(text)) {
    if (!isCalendarDate(text.slice(0, 10))) throw expiryInvalid(text, 'is not on a calendar date');
    at = new Date(text);
  } else {
    throw expiryInvalid(
      text,
      'is neither a duration (12h, 30d, 2w), a date (2027-01-31) nor a time (2027-01-31T18:00:00Z)',
    );
  }
  if (at.getTime() <= now.getTime())
    throw expiryInvalid(text, `is not in the future (it is ${at.toISOString()}, now is ${now.toISOString()})`);
  return at;
}
