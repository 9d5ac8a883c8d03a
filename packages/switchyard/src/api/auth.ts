import { SwitchyardError } from '../errors/index.js';
import { ROLES, type Role } from '../store/index.js';

export { ROLES, type Role };

export interface Principal {
  readonly name: string;
  /** Environment name, or `*` for every environment → role. */
  readonly roles: Readonly<Record<string, Role>>;
}

/**
 * `revert` rolls back the release in progress (back to what ran before it); `rollback` puts an
 * earlier released version on every track at once.
 */
export type ApiAction =
  | 'read'
  | 'deploy'
  | 'approve'
  | 'promote'
  | 'pause'
  | 'resume'
  | 'abort'
  | 'revert'
  | 'rollback'
  | 'traffic'
  | 'scale'
  | 'override-freeze'
  | 'silence'
  | 'manage-tokens';

/**
 * The role an action needs. A protected environment (production) asks one step more for
 * what changes what users get, a rollback to an earlier version included; stopping or
 * reverting the release in progress stays with deployers, so the people who ship can always
 * undo what they started.
 */
export function requiredRole(action: ApiAction, protectedEnvironment: boolean): Role {
  switch (action) {
    case 'read':
      return 'viewer';
    case 'silence':
    case 'pause':
    case 'resume':
    case 'abort':
    case 'revert':
      return 'deployer';
    case 'deploy':
    case 'promote':
    case 'rollback':
    case 'traffic':
    case 'scale':
      return protectedEnvironment ? 'approver' : 'deployer';
    case 'approve':
      return 'approver';
    case 'override-freeze':
    case 'manage-tokens':
      return 'admin';
  }
}

export function roleIn(principal: Principal, environment: string): Role | undefined {
  const here = principal.roles[environment];
  const everywhere = principal.roles['*'];
  if (here && everywhere) return ROLES.indexOf(here) >= ROLES.indexOf(everywhere) ? here : everywhere;
  return here ?? everywhere;
}

/** Throws SWY_API_FORBIDDEN naming the role needed and the role held. */
export function authorize(
  principal: Principal,
  action: ApiAction,
  environment: string,
  protectedEnvironment: boolean,
): void {
  const needed = requiredRole(action, protectedEnvironment);
  const held = roleIn(principal, environment);
  if (held && ROLES.indexOf(held) >= ROLES.indexOf(needed)) return;
  throw new SwitchyardError('SWY_API_FORBIDDEN', {
    message: `${principal.name} may not ${action} in ${environment}: it needs the ${needed} role there${protectedEnvironment ? ' (a protected environment)' : ''} and holds ${held ?? 'none'}`,
    details: { principal: principal.name, action, environment, needed, held: held ?? null },
  });
}
