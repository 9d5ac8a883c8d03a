import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, SANDBOX, SERVICE, setIn } from '../../test/support/config.js';
import { diffFleets, isEmptyDiff } from './fleet-diff.js';

describe('comparing two commits of a fleet', () => {
  const served = fleetOf(baseTexts(), 'sandbox');

  it('finds nothing between the same specs read from two directories', () => {
    const again = { ...fleetOf(baseTexts(), 'sandbox'), dir: '/elsewhere' };
    expect(isEmptyDiff(diffFleets(served, again))).toBe(true);
  });

  it('names the units added, removed and changed, sorted', () => {
    const texts = baseTexts();
    delete texts['services/encoder.yaml'];
    texts['services/api.yaml'] = setIn(SERVICE, 'resources.cpu', '200m');
    texts['services/search.yaml'] = setIn(SERVICE, 'name', 'search');
    texts['services/billing.yaml'] = setIn(SERVICE, 'name', 'billing');
    const diff = diffFleets(served, fleetOf(texts, 'sandbox'));
    expect(diff).toEqual({
      added: ['billing', 'search'],
      removed: ['encoder'],
      changed: ['api'],
      environmentChanged: false,
    });
  });

  it("sees a change of the environment's own settings", () => {
    const texts = { ...baseTexts(), 'environments/sandbox.yaml': setIn(SANDBOX, 'local', { apiPort: 7171 }) };
    const diff = diffFleets(served, fleetOf(texts, 'sandbox'));
    expect(diff.environmentChanged).toBe(true);
    expect(isEmptyDiff(diff)).toBe(false);
  });
});
