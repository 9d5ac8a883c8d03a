import { describe, expect, it } from 'vitest';
import { authorize, requiredRole, roleIn, type Principal } from './auth.js';

const deployer: Principal = { name: 'ci', roles: { staging: 'deployer', production: 'deployer' } };
const lead: Principal = { name: 'lead', roles: { '*': 'approver' } };
const viewer: Principal = { name: 'dash', roles: { '*': 'viewer', staging: 'admin' } };

describe('roles per environment', () => {
  it('asks more in a protected environment for what changes what users get', () => {
    expect(requiredRole('deploy', false)).toBe('deployer');
    expect(requiredRole('deploy', true)).toBe('approver');
    expect(requiredRole('revert', true)).toBe('deployer');
    expect(requiredRole('rollback', false)).toBe('deployer');
    expect(requiredRole('rollback', true)).toBe('approver');
    expect(requiredRole('approve', false)).toBe('approver');
    expect(requiredRole('override-freeze', false)).toBe('admin');
  });

  it('lets a deployer deploy to staging but not to production', () => {
    expect(() => authorize(deployer, 'deploy', 'staging', false)).not.toThrow();
    expect(() => authorize(deployer, 'deploy', 'production', true)).toThrow(
      /ci may not deploy in production: it needs the approver role there \(a protected environment\) and holds deployer/,
    );
    expect(() => authorize(deployer, 'revert', 'production', true)).not.toThrow();
    expect(() => authorize(deployer, 'rollback', 'production', true)).toThrow(/needs the approver role there/);
  });

  it('takes the stronger of an environment role and a * role', () => {
    expect(roleIn(viewer, 'staging')).toBe('admin');
    expect(roleIn(viewer, 'production')).toBe('viewer');
    expect(roleIn(lead, 'sandbox')).toBe('approver');
    expect(() => authorize(viewer, 'read', 'qa', false)).not.toThrow();
    expect(() => authorize({ name: 'x', roles: {} }, 'read', 'qa', false)).toThrow(/holds none/);
  });
});
