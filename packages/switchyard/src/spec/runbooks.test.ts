import { describe, expect, it } from 'vitest';
import { baseTexts, fleetOf, setIn } from '../../test/support/config.js';
import { CHECKS } from './alerting.js';
import { runbookAlerts, runbookIssues } from './runbooks.js';

describe('runbook names', () => {
  const texts = baseTexts();
  const withRule = {
    ...texts,
    'environments/production.yaml': setIn(texts['environments/production.yaml'] as string, 'alerts', {
      rules: [{ name: 'checkout-endpoints', checks: ['track-endpoints'], severity: 'warning', for: '10s' }],
    }),
  };
  const alerts = runbookAlerts([fleetOf(withRule, 'production'), fleetOf(withRule, 'sandbox')]);

  it("are every check and every environment's own rule, not the built-in rules", () => {
    expect(alerts).toEqual([...CHECKS, 'checkout-endpoints'].sort());
    expect(alerts).not.toContain('critical');
  });

  it('take a check or a rule name', () => {
    expect(runbookIssues(['track-endpoints.md', 'leftovers.md', 'checkout-endpoints.md'], alerts)).toEqual([]);
  });

  it('refuse a name that is no check and no rule, with the one meant', () => {
    expect(runbookIssues(['track-endpoint.md'], alerts)).toEqual([
      {
        code: 'runbook_unknown',
        file: 'runbooks/track-endpoint.md',
        message:
          'runbooks/track-endpoint.md is the runbook of track-endpoint, which is no health check and no alert rule of an environment',
        hint: expect.stringMatching(/^Did you mean track-endpoints\? Rename it to runbooks\/track-endpoints\.md\. /),
      },
    ]);
    expect(runbookIssues(['warning.md'], alerts)[0]?.code).toBe('runbook_unknown');
  });

  it('refuse a file that is not markdown', () => {
    expect(runbookIssues(['leftovers.txt'], alerts)).toMatchObject([
      { code: 'runbook_not_markdown', file: 'runbooks/leftovers.txt' },
    ]);
  });
});
