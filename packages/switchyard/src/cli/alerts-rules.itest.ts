import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { promtoolPath } from '../../../../test/support/promtool.js';
import { REPO_ROOT, runCli, writeConfig } from '../../test/support/cli.js';
import { baseTexts, setIn } from '../../test/support/config.js';

/**
 * `switchyard alerts rules` exports an environment's alert rules as a Prometheus rules file:
 * promtool (Debian's prometheus package) checks the export of the example environments and of
 * a config with its own rules, and `promtool test rules` plays findings through the custom one
 * to show a finding fires once, under the first rule that takes it, after that rule's `for`.
 */

const EXAMPLES = join(REPO_ROOT, 'examples/video-platform');
const dir = mkdtempSync(join(tmpdir(), 'switchyard-alert-rules-'));

function promtool(...args: string[]) {
  const run = spawnSync(promtoolPath(), args, { cwd: dir, encoding: 'utf8' });
  if (run.error)
    throw new Error(`${promtoolPath()} did not run (${run.error.message}): test/infra/install prometheus installs it`);
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

async function exported(config: string, env: string): Promise<string> {
  const result = await runCli(['alerts', 'rules', config, '--env', env]);
  expect(result.code, result.stderr).toBe(0);
  const file = join(dir, `${env}-${Math.random().toString(36).slice(2)}.rules.yml`);
  writeFileSync(file, result.stdout);
  return file;
}

const since = (check: string, severity: string, unit: string) =>
  `switchyard_health_finding_since_timestamp_seconds{check="${check}",severity="${severity}",unit="${unit}",part="free",environment="production"}`;
const advice = 'Look at the replicas of the track that are not ready: probes, logs, events, the node.';
const fired = (rule: string, severity: string, unit: string) => ({
  exp_labels: {
    rule,
    service: unit,
    check: 'track-endpoints',
    severity,
    unit,
    part: 'free',
    environment: 'production',
  },
  exp_annotations: {
    summary: `track-endpoints of ${unit} free in production since 1970-01-01 00:00:00 +0000 UTC`,
    description: advice,
    link: `https://switchyard.example.com/v1/health/${unit}?env=production`,
    runbook_url: `https://switchyard.example.com/v1/runbooks/track-endpoints?env=production&rule=${rule}`,
  },
});

describe('switchyard alerts rules', () => {
  it.each(['production', 'staging', 'sandbox'])(
    "exports the example environment %s's rules as a file promtool checks",
    async (env) => {
      const file = await exported(EXAMPLES, env);
      const check = promtool('check', 'rules', file);
      // One alert per check under the critical and the warning rule, the ended releases' under the releases rule only.
      expect(check.output).toContain('SUCCESS: 30 rules found');
      expect(check.code, check.output).toBe(0);
    },
  );

  it("exports a config's own rules before the built-in ones: promtool checks them, and its rule tests pass", async () => {
    const texts = baseTexts();
    texts['environments/production.yaml'] = setIn(texts['environments/production.yaml'] as string, 'alerts', {
      url: 'https://switchyard.example.com',
      rules: [
        { name: 'api-endpoints', checks: ['track-endpoints'], severity: 'warning', services: ['api'], for: '2s' },
      ],
    });
    const file = await exported(await writeConfig(texts), 'production');
    const check = promtool('check', 'rules', file);
    expect(check.output).toContain('SUCCESS: 31 rules found');
    expect(check.code, check.output).toBe(0);

    const tests = join(dir, 'custom.test.yml');
    writeFileSync(
      tests,
      stringify({
        rule_files: [file],
        evaluation_interval: '1s',
        tests: [
          {
            interval: '1s',
            input_series: [
              { series: since('track-endpoints', 'warning', 'api'), values: '0x600' },
              { series: since('track-endpoints', 'critical', 'web'), values: '0x600' },
              { series: since('track-endpoints', 'warning', 'web'), values: '_x100 0x500' },
            ],
            alert_rule_test: [
              { eval_time: '1s', alertname: 'track-endpoints', exp_alerts: [] },
              { eval_time: '3s', alertname: 'track-endpoints', exp_alerts: [fired('api-endpoints', 'warning', 'api')] },
              {
                eval_time: '40s',
                alertname: 'track-endpoints',
                exp_alerts: [fired('api-endpoints', 'warning', 'api'), fired('critical', 'critical', 'web')],
              },
              {
                eval_time: '420s',
                alertname: 'track-endpoints',
                exp_alerts: [
                  fired('api-endpoints', 'warning', 'api'),
                  fired('critical', 'critical', 'web'),
                  fired('warning', 'warning', 'web'),
                ],
              },
            ],
          },
        ],
      }),
    );
    const test = promtool('test', 'rules', tests);
    expect(test.output).toContain('SUCCESS');
    expect(test.code, test.output).toBe(0);
  });
});
