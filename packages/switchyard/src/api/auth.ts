import { SwitchyardError } from '../errors/index.js';
import { ROLES, type Role } from '../store/index.js';

export { ROLES, type Role };

export interface Principal {
  readonly name: string;
  /** Environment name, or `*` for every environment → role. */
  readonly roles: Readonly<Record<string, Role>>;
}

export type ApiAction = 'read' | 'deploy' | 'approve' | 'promote' | 'pause' | 'resume' | 'abort' | 'rollback' | 'traffic' | 'scale' | 'override-freeze' | 'manage-tokens';

/**
 * The role an action needs. A protected environment (production) asks one step more for
 * what changes what users get; stopping or undoing a release stays with deployers, so
 * the people who ship can always roll back.
 */
export function requiredRole(action: ApiAction, protectedEnvironment: boolean): Role {
  switch (action) {
    case 'read':
      return 'viewer';
    case 'pause':
    case 'resume':
    case 'abort':
    case 'rollback':
      return 'deployer';
    case 'deploy':
    case 'promote':
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
export function authorize(principal: Principal, action: ApiAction, environment: string, protectedEnvironment: boolean): void {
  const needed = requiredRole(action, protectedEnvironment);
  const held = roleIn(principal, environment);
  if (held && ROLES.indexOf(held) >= ROLES.indexOf(needed)) return;
  throw new SwitchyardError('SWY_API_FORBIDDEN', {
    message: `${principal.name} may not ${action} in ${environment}: it needs the ${needed} role there${protectedEnvironment ? ' (a protected environment)' : ''} and holds ${held ?? 'none'}`,
    details: { principal: principal.name, action, environment, needed, held: held ?? null },
  });
}
