import { SwitchyardError } from '../errors/index.js';
import { activeFreeze } from '../release/index.js';
import type { Environment } from '../spec/index.js';
import { authorize, type Principal } from './auth.js';

export interface FreezeOverride {
  readonly overrideFreeze?: boolean | undefined;
  readonly reason?: string | undefined;
}

const MIN_OVERRIDE_REASON = 10;

/**
 * During a freeze window, refuses a change that widens what users are exposed to (a deploy, a
 * wider canary share, a version never released, the next stage), unless an admin overrides it
 * with a reason. Narrowing exposure and rollbacks to a released version never come here.
 * `what` completes "… frozen now", e.g. "Deploys to production are".
 */
export function guardFreeze(
  environment: Environment,
  principal: Principal,
  what: string,
  request: FreezeOverride,
  at = new Date(),
): void {
  const freeze = activeFreeze(environment.freezes, at);
  if (!freeze) return;
  if (!request.overrideFreeze) {
    throw new SwitchyardError('SWY_RELEASE_FROZEN', {
      message: `${what} frozen now (${freeze.name}: ${freeze.from} → ${freeze.to} ${freeze.timezone})`,
      details: { environment: environment.name, freeze },
    });
  }
  authorize(principal, 'override-freeze', environment.name, environment.protected);
  if (!request.reason || request.reason.trim().length < MIN_OVERRIDE_REASON) {
    throw new SwitchyardError('SWY_API_BAD_REQUEST', {
      message: `Overriding a freeze needs a reason of at least ${MIN_OVERRIDE_REASON} characters`,
      hint: 'Say why this cannot wait, e.g. --reason "hotfix for the live match player"',
    });
  }
}
