import { describe, expect, it } from 'vitest';
import { runCli, writeConfig } from '../../test/support/cli.js';
import { baseTexts, setIn } from '../../test/support/config.js';

/** The base configuration with a rule of its own in production, and the runbooks given. */
function config(runbooks: Record<string, string>): Promise<string> {
  const texts = baseTexts();
  return writeConfig({
    ...texts,
    'environments/production.yaml': setIn(texts['environments/production.yaml'] as string, 'alerts', {
      rules: [{ name: 'checkout-endpoints', checks: ['track-endpoints'], severity: 'warning', for: '10s' }],
    }),
    ...runbooks,
  });
}

describe.concurrent('switchyard runbook and the runbooks of validate', () => {
  it("prints the configuration repository's runbook for a terminal, saying where it comes from", async () => {
    const dir = await config({ 'runbooks/track-endpoints.md': '# Ours\n\n```sh\ncall ana\n```\n' });
    const r = await runCli(['runbook', 'track-endpoints', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('OURS\n════\n\n    call ana\n\n— runbooks/track-endpoints.md of the configuration\n');
  });

  it('prints the shipped default where the repository has none, and a rule of the environment', async () => {
    const dir = await config({ 'runbooks/checkout-endpoints.md': '# Checkout\n' });
    const shipped = await runCli(['runbook', 'leftovers', dir, '-o', 'json']);
    expect(shipped.code, shipped.stderr).toBe(0);
    const json = JSON.parse(shipped.stdout) as { alert: string; source: string; file: string | null; markdown: string };
    expect(json).toMatchObject({ alert: 'leftovers', source: 'default', file: null });
    expect(json.markdown).toContain('kubectl -n <namespace> delete deployment <name>');
    const rule = await runCli(['runbook', 'checkout-endpoints', dir]);
    expect(rule.stdout.split('\n')[0]).toBe('CHECKOUT');
  });

  it('refuses an alert that is no check and no rule, naming the ones there are', async () => {
    const r = await runCli(['runbook', 'track-endpoint', await config({})]);
    expect(r.code).toBe(66);
    expect(r.stderr).toContain('SWY_RUNBOOK_NOT_FOUND');
    expect(r.stderr).toContain('checkout-endpoints');
  });

  it('validate refuses a runbook named after no check or rule, with the one meant', async () => {
    const ok = await runCli(['validate', await config({ 'runbooks/checkout-endpoints.md': '# x\n' })]);
    expect(ok.code, ok.stderr).toBe(0);
    const r = await runCli(['validate', await config({ 'runbooks/track-endpoint.md': '# x\n' }), '--env', 'sandbox']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SWY_SPEC_INVALID');
    expect(r.stderr).toContain('runbooks/track-endpoint.md');
    expect(r.stderr).toContain('Did you mean track-endpoints?');
  });
});
