import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../errors/index.js';
import type { RoleGrants } from '../store/index.js';
import type { Principal } from './auth.js';
import { authorizeGrants, grantRefusals, mayView, parseExpiry } from './token-rules.js';

const who = (name: string, roles: RoleGrants): Principal => ({ name, roles });
const root = who('root', { '*': 'admin' });
const stagingAdmin = who('stg-admin', { staging: 'admin' });
const stagingAdminViewerElsewhere = who('stg-admin-plus', { staging: 'admin', '*': 'viewer' });
const twoEnvAdmin = who('ops', { staging: 'admin', production: 'admin' });
const approver = who('lead', { '*': 'approver' });
const deployer = who('ci', { staging: 'deployer' });

const may = (p: Principal, grants: RoleGrants) => grantRefusals(p, grants).length === 0;

describe('who may give (and take back) which roles', () => {
  it('lets an admin of * manage any token', () => {
    for (const grants of [
      { '*': 'admin' },
      { production: 'viewer' },
      { staging: 'deployer', '*': 'viewer' },
    ] as RoleGrants[])
      expect(may(root, grants)).toBe(true);
  });

  it('lets an admin of one environment give any role there, admin included', () => {
    for (const role of ['viewer', 'deployer', 'approver', 'admin'] as const)
      expect(may(stagingAdmin, { staging: role })).toBe(true);
  });

  it('refuses an admin of one environment a role in another, or in *', () => {
    expect(grantRefusals(stagingAdmin, { production: 'viewer' })).toEqual([
      'production needs the admin role there, and stg-admin holds none',
    ]);
    expect(grantRefusals(stagingAdmin, { '*': 'viewer' })).toEqual([
      'every environment (*) needs the admin role in *, and stg-admin holds none',
    ]);
    // Holding viewer everywhere does not make a staging admin an admin of *.
    expect(grantRefusals(stagingAdminViewerElsewhere, { '*': 'viewer' })).toEqual([
      'every environment (*) needs the admin role in *, and stg-admin-plus holds viewer',
    ]);
    expect(grantRefusals(stagingAdminViewerElsewhere, { production: 'viewer' })).toEqual([
      'production needs the admin role there, and stg-admin-plus holds viewer',
    ]);
  });

  it('judges a token that spans environments by every one of them', () => {
    expect(grantRefusals(stagingAdmin, { staging: 'deployer', production: 'viewer' })).toEqual([
      'production needs the admin role there, and stg-admin holds none',
    ]);
    expect(may(twoEnvAdmin, { staging: 'deployer', production: 'approver' })).toBe(true);
    expect(grantRefusals(twoEnvAdmin, { staging: 'deployer', production: 'approver', qa: 'viewer' })).toEqual([
      'qa needs the admin role there, and ops holds none',
    ]);
  });

  it('lets no one below admin manage tokens, not even to give a role below their own', () => {
    expect(grantRefusals(approver, { staging: 'viewer' })).toEqual([
      'staging needs the admin role there, and lead holds approver',
    ]);
    expect(grantRefusals(deployer, { staging: 'viewer' })).toEqual([
      'staging needs the admin role there, and ci holds deployer',
    ]);
    expect(may(approver, { staging: 'approver' })).toBe(false);
  });

  it('throws SWY_API_FORBIDDEN naming every refusal and the environments', () => {
    let caught: unknown;
    try {
      authorizeGrants(stagingAdmin, { staging: 'viewer', production: 'viewer', '*': 'viewer' }, 'create a token');
    } catch (err) {
      caught = err;
    }
    expect(isSwitchyardError(caught)).toBe(true);
    expect(caught).toMatchObject({
      code: 'SWY_API_FORBIDDEN',
      status: 403,
      message:
        'stg-admin may not create a token: every environment (*) needs the admin role in *, and stg-admin holds none; production needs the admin role there, and stg-admin holds none',
      details: { environments: ['*', 'production', 'staging'] },
    });
    expect(() => authorizeGrants(root, { '*': 'admin' }, 'create a token')).not.toThrow();
  });
});

describe('which tokens an admin sees', () => {
  it('shows an admin of * every token', () => {
    expect(mayView(root, { qa: 'viewer' })).toBe(true);
  });

  it('shows an environment admin the tokens that reach its environment, a * role included', () => {
    expect(mayView(stagingAdmin, { staging: 'viewer' })).toBe(true);
    expect(mayView(stagingAdmin, { staging: 'viewer', production: 'admin' })).toBe(true);
    expect(mayView(stagingAdmin, { '*': 'viewer' })).toBe(true);
    expect(mayView(stagingAdmin, { production: 'viewer' })).toBe(false);
  });

  it('shows nothing to a principal that administers nothing', () => {
    expect(mayView(approver, { '*': 'viewer' })).toBe(false);
    expect(mayView(deployer, { staging: 'viewer' })).toBe(false);
  });
});

describe('token expiry', () => {
  const now = new Date('2026-03-01T12:00:00Z');

  it('reads durations from now, dates at 00:00 UTC and RFC 3339 times', () => {
    expect(parseExpiry('12h', now).toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(parseExpiry('30d', now).toISOString()).toBe('2026-03-31T12:00:00.000Z');
    expect(parseExpiry('2w', now).toISOString()).toBe('2026-03-15T12:00:00.000Z');
    expect(parseExpiry('2027-01-31', now).toISOString()).toBe('2027-01-31T00:00:00.000Z');
    expect(parseExpiry('2027-01-31T18:30:00+02:00', now).toISOString()).toBe('2027-01-31T16:30:00.000Z');
    expect(parseExpiry('2026-03-01T12:00:01Z', now).toISOString()).toBe('2026-03-01T12:00:01.000Z');
  });

  it.each([
    ['0d', 'is not in the future'],
    ['2026-03-01', 'is not in the future (it is 2026-03-01T00:00:00.000Z, now is 2026-03-01T12:00:00.000Z)'],
    ['2026-03-01T12:00:00Z', 'is not in the future'],
    ['2027-02-30', 'is not a calendar date'],
    ['2027-02-30T10:00Z', 'is not on a calendar date'],
    ['2027-01-31T24:00Z', 'is neither a duration'],
    ['2027-01-31T10:00', 'is neither a duration'],
    ['30', 'is neither a duration'],
    ['30m', 'is neither a duration'],
    ['-1d', 'is neither a duration'],
    ['tomorrow', 'is neither a duration'],
  ])('refuses %s', (text, why) => {
    expect(() => parseExpiry(text, now)).toThrow(
      expect.objectContaining({ code: 'SWY_STORE_TOKEN_INVALID', message: expect.stringContaining(why) }),
    );
  });
});
