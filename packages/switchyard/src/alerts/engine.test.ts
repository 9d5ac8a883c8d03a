import { describe, expect, it } from 'vitest';
import type { Finding, HealthReport } from '../health/index.js';
import { step } from './engine.js';
import { slackBody, webhookBody } from './payloads.js';
import { DEFAULT_REPEAT_MS, DEFAULT_RULES } from './rules.js';
import type { AlertRule, AlertState, Notification, Silence } from './types.js';

const T0 = Date.parse('2026-03-02T10:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000);

function finding(unit: string, part: string, severity: Finding['severity'] = 'critical', since = at(0)): Finding {
  return {
    check: 'track-endpoints',
    severity,
    unit,
    part,
    since: since.toISOString(),
    objects: [`${unit}-${part}-0`],
    message: `track ${part} has 1 of 2 ready endpoints`,
    hint: 'Look at the replicas that are not ready.',
  };
}

const report = (now: Date, ...findings: Finding[]): HealthReport => ({
  environment: 'production',
  at: now.toISOString(),
  worst: findings.length ? 'critical' : 'ok',
  counts: { critical: 0, warning: 0, info: 0 },
  findings,
});

/** Steps the alerts through evaluations at the given seconds, each with the findings then, collecting what they send. */
function run(
  evaluations: readonly [seconds: number, findings: Finding[]][],
  options: { rules?: readonly AlertRule[]; repeatMs?: number; silences?: readonly Silence[] } = {},
) {
  let state: AlertState = {};
  const sent: { at: number; n: Notification }[] = [];
  for (const [s, findings] of evaluations) {
    const out = step(state, {
      report: report(at(s), ...findings),
      config: { rules: options.rules ?? DEFAULT_RULES, repeatMs: options.repeatMs ?? DEFAULT_REPEAT_MS },
      silences: options.silences ?? [],
      now: at(s),
    });
    expect(JSON.parse(JSON.stringify(out.state))).toEqual(out.state);
    state = out.state;
    sent.push(...out.notifications.map((n) => ({ at: s, n })));
  }
  return {
    sent: sent.map(
      ({ at: s, n }) =>
        `${s} ${n.status} ${n.service} ${n.findings.map((f) => f.part).join(',')}${n.ended ? ` ended ${n.ended.map((f) => f.part).join(',')}` : ''}`,
    ),
    notifications: sent.map(({ n }) => n),
    state,
  };
}

const silence = (over: Partial<Silence>): Silence => ({
  id: 's1',
  environment: 'production',
  author: 'ana',
  reason: 'replacing nodes',
  createdAt: at(0).toISOString(),
  expiresAt: at(600).toISOString(),
  ...over,
});

describe('alert rules over health findings', () => {
  it('fires a critical finding once it has held 30 s, not before, then resolves it once', () => {
    const f = finding('api', 'free');
    expect(
      run([
        [0, [f]],
        [29, [f]],
        [30, [f]],
        [60, [f]],
        [90, []],
        [120, []],
      ]).sent,
    ).toEqual(['30 firing api free', '90 resolved api free']);
  });

  it('waits 5 min for a warning and never notifies info', () => {
    const w = finding('api', 'free', 'warning');
    const i = finding('web', 'paid', 'info');
    expect(
      run([
        [0, [w, i]],
        [299, [w, i]],
        [300, [w, i]],
      ]).sent,
    ).toEqual(['300 firing api free']);
  });

  it('a finding that clears before its for never notifies, and starts afresh when it returns', () => {
    const again = finding('api', 'free', 'critical', at(40));
    expect(
      run([
        [0, [finding('api', 'free')]],
        [20, []],
        [40, [again]],
        [60, [again]],
        [70, [again]],
      ]).sent,
    ).toEqual(['70 firing api free']);
  });

  it('keeps a notified group firing when a restart forgets when its finding was first seen', () => {
    const before = run([[30, [finding('api', 'free')]]]);
    expect(before.sent).toEqual(['30 firing api free']);
    // After the restart the health log sees the finding anew: since is now, short of the rule's for.
    const seenAgain = finding('api', 'free', 'critical', at(100));
    const after = step(before.state, {
      report: report(at(101), seenAgain),
      config: { rules: DEFAULT_RULES, repeatMs: DEFAULT_REPEAT_MS },
      silences: [],
      now: at(101),
    });
    expect(after.notifications).toEqual([]);
    expect(Object.keys(after.state)).toEqual(['production/api']);
    // A finding of the group never notified still waits for its for.
    const joined = step(after.state, {
      report: report(at(102), seenAgain, finding('api', 'paid', 'critical', at(100))),
      config: { rules: DEFAULT_RULES, repeatMs: DEFAULT_REPEAT_MS },
      silences: [],
      now: at(102),
    });
    expect(joined.notifications).toEqual([]);
  });

  it('groups per service: one notification listing its findings, another service its own', () => {
    const fs = [finding('api', 'free'), finding('api', 'paid'), finding('web', 'free')];
    expect(run([[30, fs]]).sent).toEqual(['30 firing api free,paid', '30 firing web free']);
  });

  it('notifies again when a finding joins a firing group, leaves it or changes severity, telling what ended', () => {
    const free = finding('api', 'free');
    const paid = finding('api', 'paid', 'critical', at(40));
    const out = run([
      [30, [free]],
      [60, [free, paid]],
      [70, [free, paid]],
      [75, [free, paid]],
      [80, [paid]],
      [90, [{ ...paid, severity: 'warning' }]],
      [95, [{ ...paid, severity: 'warning' }]],
    ]);
    expect(out.sent).toEqual([
      '30 firing api free',
      '70 firing api free,paid',
      '80 firing api paid ended free',
      '90 firing api paid ended paid',
    ]);
    // The ended finding is as it was told: the critical one, so Alertmanager ends that alert.
    expect(out.notifications.at(-1)?.ended?.map((f) => f.severity)).toEqual(['critical']);
  });

  it('does not tell a finding silenced in a group that still fires as ended', () => {
    const free = finding('api', 'free');
    const paid = { ...finding('api', 'paid'), check: 'track-version' as const };
    expect(
      run(
        [
          [30, [free, paid]],
          [40, [free, paid]],
          [50, [free]],
        ],
        { silences: [silence({ createdAt: at(35).toISOString(), checks: ['track-version'] })] },
      ).sent,
    ).toEqual(['30 firing api free,paid']);
  });

  it('repeats a group still firing every repeat interval', () => {
    const f = finding('api', 'free');
    const times = [30, 100, 130, 160, 230].map((s): [number, Finding[]] => [s, [f]]);
    expect(run(times, { repeatMs: 100_000 }).sent).toEqual([
      '30 firing api free',
      '130 firing api free',
      '230 firing api free',
    ]);
  });

  it("takes an environment's own rule first: by check, severity at least and service, with its own for", () => {
    const rules: AlertRule[] = [
      { name: 'api-fast', services: ['api'], checks: ['track-endpoints'], severity: 'warning', forMs: 5000 },
      { name: 'quiet-router', checks: ['router-replicas'], severity: 'info', forMs: 3_600_000 },
      ...DEFAULT_RULES,
    ];
    const warn = finding('api', 'free', 'warning');
    const router = { ...finding('web', 'router'), check: 'router-replicas' as const };
    const other = finding('web', 'free', 'warning');
    const { sent } = run(
      [
        [5, [warn, router, other]],
        [300, [warn, router, other]],
      ],
      { rules },
    );
    expect(sent).toEqual(['5 firing api free', '300 firing web free']);
  });

  it('names the rule that fired each finding', () => {
    const out = step(
      {},
      {
        report: report(at(30), finding('api', 'free')),
        config: { rules: DEFAULT_RULES, repeatMs: DEFAULT_REPEAT_MS },
        silences: [],
        now: at(30),
      },
    );
    expect(out.notifications[0]?.findings[0]?.rule).toBe('critical');
  });
});

describe('findings a release in progress causes itself', () => {
  const muted = (f: Finding): Finding => ({ ...f, mutedBy: { release: 'rel-1' } });

  it('fire nothing while muted, whatever their severity and however long they hold', () => {
    const canary = muted(finding('api', 'free'));
    expect(
      run([
        [0, [canary]],
        [30, [canary]],
        [3600, [canary]],
      ]).sent,
    ).toEqual([]);
  });

  it('leave the real failure beside them to fire, without them', () => {
    const canary = muted(finding('api', 'free'));
    const stable = finding('api', 'production');
    const { sent } = run([
      [0, [canary, stable]],
      [30, [canary, stable]],
    ]);
    expect(sent).toEqual(['30 firing api production']);
  });

  it('fire once the release no longer explains them, held since they were first seen', () => {
    const f = finding('api', 'free');
    expect(
      run([
        [0, [muted(f)]],
        [20, [muted(f)]],
        [30, [f]],
      ]).sent,
    ).toEqual(['30 firing api free']);
  });

  it('resolve a group that fired before the release began to explain its findings', () => {
    const f = finding('api', 'free');
    expect(
      run([
        [0, [f]],
        [30, [f]],
        [40, [muted(f)]],
      ]).sent,
    ).toEqual(['30 firing api free', '40 resolved api free']);
  });
});

describe('silences', () => {
  const f = finding('api', 'free');
  const g = finding('web', 'free');

  it('a silenced group sends nothing; once the silence expires it notifies', () => {
    const silences = [silence({ services: ['api'], expiresAt: at(120).toISOString() })];
    expect(
      run(
        [
          [30, [f, g]],
          [60, [f, g]],
          [119, [f, g]],
          [120, [f, g]],
        ],
        { silences },
      ).sent,
    ).toEqual(['30 firing web free', '120 firing api free']);
  });

  it('matches on check as well as service, and only in its own environment', () => {
    const byCheck = silence({ checks: ['router-replicas'] });
    const elsewhere = silence({ environment: 'staging', services: ['api'] });
    expect(run([[30, [f]]], { silences: [byCheck, elsewhere] }).sent).toEqual(['30 firing api free']);
    expect(run([[30, [f]]], { silences: [silence({ checks: ['track-endpoints'] })] }).sent).toEqual([]);
  });

  it('a silence someone expired early stops muting then', () => {
    const silences = [silence({ expiredAt: at(45).toISOString(), expiredBy: 'ana' })];
    expect(
      run(
        [
          [30, [f]],
          [40, [f]],
          [50, [f]],
        ],
        { silences },
      ).sent,
    ).toEqual(['50 firing api free']);
  });

  it('a group silenced after it fired neither repeats nor resolves while muted, and resolves once it clears', () => {
    const silences = [silence({ createdAt: at(40).toISOString() })];
    expect(
      run(
        [
          [30, [f]],
          [50, [f]],
          [500, [f]],
          [510, []],
        ],
        { silences, repeatMs: 100_000 },
      ).sent,
    ).toEqual(['30 firing api free', '510 resolved api free']);
  });
});

describe('payloads', () => {
  const n: Notification = {
    status: 'firing',
    environment: 'production',
    service: 'api',
    at: at(30).toISOString(),
    findings: [{ ...finding('api', 'free'), rule: 'critical' }],
  };

  it("Slack's: a text fallback, Block Kit blocks, a button to the service and one to the worst finding's runbook", () => {
    const body = slackBody(n, 'https://switchyard.example.com/');
    expect(body.text).toBe(
      '[FIRING] production/api: 1 critical\ntrack-endpoints free: track free has 1 of 2 ready endpoints',
    );
    expect(body.blocks).toContainEqual({
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Open api' },
          url: 'https://switchyard.example.com/v1/health/api?env=production',
          action_id: 'open-service',
        },
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Runbook' },
          url: 'https://switchyard.example.com/v1/runbooks/track-endpoints?env=production&rule=critical',
          action_id: 'open-runbook',
        },
      ],
    });
    expect(JSON.stringify(body.blocks)).toContain(
      '<https://switchyard.example.com/v1/runbooks/track-endpoints?env=production&rule=critical|Runbook>',
    );
    expect(JSON.stringify(slackBody(n).blocks)).not.toContain('Runbook');
    expect(slackBody(n).blocks.some((b) => (b as { type: string }).type === 'actions')).toBe(false);
    expect(slackBody({ ...n, status: 'resolved' }).text.split('\n')[0]).toBe('[RESOLVED] production/api');
  });

  it("the generic webhook's: version 1 with each finding and its runbook's URL", () => {
    const second = { ...finding('api', 'paid', 'warning'), check: 'track-version' as const, rule: 'team-rule' };
    const linked = webhookBody({ ...n, findings: [...n.findings, second] }, 'https://switchyard.example.com');
    expect(linked.link).toBe('https://switchyard.example.com/v1/health/api?env=production');
    expect(linked.findings.map((f) => f.runbookUrl)).toEqual([
      'https://switchyard.example.com/v1/runbooks/track-endpoints?env=production&rule=critical',
      'https://switchyard.example.com/v1/runbooks/track-version?env=production&rule=team-rule',
    ]);
    expect(webhookBody(n)).toEqual({
      version: 1,
      status: 'firing',
      environment: 'production',
      service: 'api',
      at: '2026-03-02T10:00:30.000Z',
      title: '[FIRING] production/api: 1 critical',
      link: null,
      findings: [
        {
          rule: 'critical',
          check: 'track-endpoints',
          severity: 'critical',
          part: 'free',
          since: '2026-03-02T10:00:00.000Z',
          message: 'track free has 1 of 2 ready endpoints',
          hint: 'Look at the replicas that are not ready.',
          objects: ['api-free-0'],
          runbookUrl: null,
        },
      ],
      cleared: [],
    });
  });
});
