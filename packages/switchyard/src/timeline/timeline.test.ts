import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../test/support/cli.js';
import {
  ALERTS,
  AUDIT,
  CHANGES,
  RELEASE,
  RELEASE_EVENTS,
  RUNTIME,
  SILENCES,
  WINDOW,
} from '../../test/support/incident.js';
import { isSwitchyardError } from '../errors/index.js';
import {
  alertEntry,
  auditEntry,
  impactOf,
  pageOf,
  releaseEntries,
  renderPostmortem,
  runtimeEntry,
  silenceEntries,
  timelineWindow,
  type TimelineEntry,
} from './index.js';

const line = (e: TimelineEntry) => `${e.at.slice(11, 19)} ${e.kind} ${e.service ?? '-'} ${e.who}: ${e.text} [${e.ref}]`;

function incident(): TimelineEntry[] {
  return pageOf(
    [
      releaseEntries(RELEASE, RELEASE_EVENTS),
      ALERTS.map(alertEntry),
      SILENCES.flatMap((s) => silenceEntries(s, WINDOW)),
      AUDIT.flatMap((a) => auditEntry(a) ?? []),
      RUNTIME.map(runtimeEntry),
    ],
    { limit: 1000 },
  ).entries;
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isSwitchyardError(err) ? `${err.code}: ${err.message}` : String(err);
  }
  return 'no error';
};

describe('the window of a timeline', () => {
  const now = new Date('2026-03-02T12:00:00.000Z');

  it('takes durations back from now and RFC 3339 times, a day until now by default', () => {
    expect(timelineWindow(undefined, undefined, now)).toEqual({
      since: new Date('2026-03-01T12:00:00.000Z'),
      until: now,
    });
    expect(timelineWindow('2h', '30m', now)).toEqual({
      since: new Date('2026-03-02T10:00:00.000Z'),
      until: new Date('2026-03-02T11:30:00.000Z'),
    });
    expect(timelineWindow('2026-03-02T09:00:00+01:00', '0s', now).since).toEqual(new Date('2026-03-02T08:00:00Z'));
  });

  it('refuses what is neither, a window backwards, and one longer than 90 days, saying which', () => {
    expect(code(() => timelineWindow('yesterday', undefined, now))).toBe(
      'SWY_TIMELINE_QUERY_INVALID: since "yesterday" is neither a duration back from now (30m, 2h, 7d) nor an RFC 3339 time',
    );
    expect(code(() => timelineWindow('1h', '2h', now))).toMatch(
      /^SWY_TIMELINE_QUERY_INVALID: since .* is not before until/,
    );
    expect(code(() => timelineWindow('91d', undefined, now))).toMatch(/longer than 90 days$/);
    expect(code(() => timelineWindow(undefined, '2026-13-45T00:00:00Z', now))).toMatch(
      /^SWY_TIMELINE_QUERY_INVALID: until/,
    );
  });
});

describe('a release on the timeline', () => {
  it('says it started, each stage began, each verdict with its gate values, and how it ended', () => {
    expect(releaseEntries(RELEASE, RELEASE_EVENTS).map(line)).toEqual([
      '09:45:00 release api ana: release of 2.4.0 started (plan standard), replacing 2.3.1 [rel-7f3a]',
      '09:45:00 release api switchyard: stage internal (1/3) began [rel-7f3a]',
      '09:50:00 verdict api switchyard: stage internal verdict pass: error-rate 0.001 (< 0.01) ok; 812 requests [rel-7f3a]',
      '09:50:00 release api switchyard: stage free (2/3) began [rel-7f3a]',
      '09:58:00 verdict api switchyard: stage free verdict fail: error-rate 0.0712 (< 0.01) failed, p99-latency 0.412 (< 0.5) ok; 4210 requests [rel-7f3a]',
      '09:58:00 release api switchyard: rolling back: gate error-rate failed at stage free [rel-7f3a]',
      '09:59:30 release api switchyard: rolled back: gate error-rate failed at stage free [rel-7f3a]',
    ]);
  });

  it('starts from the state before the window: nothing is said twice of what happened before it', () => {
    const [, , second, third] = RELEASE_EVENTS;
    expect(releaseEntries(RELEASE, [third!], second!.state).map(line)).toEqual([
      '09:58:00 verdict api switchyard: stage free verdict fail: error-rate 0.0712 (< 0.01) failed, p99-latency 0.412 (< 0.5) ok; 4210 requests [rel-7f3a]',
      '09:58:00 release api switchyard: rolling back: gate error-rate failed at stage free [rel-7f3a]',
    ]);
  });

  it("names who acted: a person's pause, resume, approval and rollback", () => {
    const at = (m: number) => new Date(Date.parse('2026-03-02T10:00:00Z') + m * 60_000);
    const s = (over: Record<string, unknown>) => ({
      stage: 1,
      stages: [{ name: 'a' }, { name: 'b' }],
      verdicts: [],
      status: 'running',
      version: '2',
      plan: 'p',
      from: { versions: {} },
      ...over,
    });
    const events = [
      { seq: 1, releaseId: 'r', at: at(1), type: 'pause', payload: { by: 'gus' }, state: s({ status: 'paused' }) },
      { seq: 2, releaseId: 'r', at: at(2), type: 'resume', payload: { by: 'gus' }, state: s({}) },
      { seq: 3, releaseId: 'r', at: at(3), type: 'approve', payload: { by: 'hal' }, state: s({}) },
      {
        seq: 4,
        releaseId: 'r',
        at: at(4),
        type: 'rollback',
        payload: { by: 'ivy', reason: 'errors' },
        state: s({ status: 'rolling-back', outcome: 'rolled back by ivy: errors' }),
      },
    ];
    expect(releaseEntries({ ...RELEASE, id: 'r' }, events, s({})).map((e) => `${e.who}: ${e.text}`)).toEqual([
      'gus: paused',
      'gus: resumed',
      'hal: approved',
      'ivy: rolling back: rolled back by ivy: errors',
    ]);
  });
});

describe('the merged timeline', () => {
  it('orders every source by time, leaves out audit entries the releases tell, keeps refusals', () => {
    const lines = incident().map(line);
    const times = lines.map((l) => l.slice(0, 8));
    expect(times).toEqual([...times].sort());
    expect(lines).toHaveLength(7 + 2 + 3 + 3 + 1);
    expect(lines.some((l) => l.includes('release.deploy'))).toBe(false);
    expect(lines.filter((l) => l.includes(' change '))).toEqual([
      '09:40:00 change - config-follower: config.take 3b18e512dba79e4c8300dd08aeb37f8e728b8dad (succeeded) [3b18e512dba79e4c8300dd08aeb37f8e728b8dad]',
      '10:01:00 change api eli: traffic.share /v1/services/api/traffic (succeeded): drain free while we look [null]',
      '10:02:00 change api fay: release.rollback /v1/releases/rel-7f3a/rollback (denied) [rel-7f3a]',
    ]);
    expect(lines.filter((l) => l.includes(' alert '))).toEqual([
      '09:57:10 alert api switchyard: alert firing: track-endpoints free (critical), gate-failing free (warning); told ops-slack, pager [production/api]',
      '10:03:00 alert api switchyard: alert resolved: track-endpoints free (critical); told ops-slack; waiting for pager [production/api]',
    ]);
    expect(lines.filter((l) => l.includes(' silence '))).toEqual([
      '09:15:00 silence - switchyard: silence expired (services *, checks router-replicas) [7c9e6679-7425-40de-944b-e07fc1f90ae7]',
      '09:30:00 silence thumbs bo: silence created (services thumbs, checks backlog-age) until 2026-03-02T12:00:00.000Z: reprocessing the catalogue [0f8fad5b-d9cb-469f-a165-70867728950e]',
      '10:20:00 silence thumbs bo: silence expired by hand (services thumbs, checks backlog-age) [0f8fad5b-d9cb-469f-a165-70867728950e]',
    ]);
  });

  it('keeps a silence of other services out of one service’s timeline', () => {
    expect(silenceEntries(SILENCES[0]!, WINDOW, 'api')).toEqual([]);
    expect(silenceEntries(SILENCES[1]!, WINDOW, 'api')).toHaveLength(1);
  });

  it('pages through a big window without losing or repeating an entry, even at one instant', () => {
    const same = Array.from({ length: 7 }, (_, i) => ({ ...runtimeEntry(RUNTIME[0]!), id: `runtime:${i}` }));
    const all = [...incident(), ...same];
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    for (;;) {
      const page = pageOf([all], { limit: 4, ...(after ? { after } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      pages += 1;
      if (!page.next) break;
      after = page.next;
    }
    expect(seen).toEqual(pageOf([all], { limit: 1000 }).entries.map((e) => e.id));
    expect(new Set(seen).size).toBe(all.length);
    expect(pages).toBe(Math.ceil(all.length / 4));
    expect(code(() => pageOf([all], { limit: 4, after: 'bm90IGEgY3Vyc29y' }))).toMatch(
      /^SWY_TIMELINE_QUERY_INVALID: after/,
    );
  });
});

describe('impact from the routers’ counters', () => {
  it('adds, per service, what each track answered between the first and last reading in the window', () => {
    expect(impactOf(RELEASE_EVENTS, WINDOW)).toEqual([
      {
        service: 'api',
        requests: 60_000 + 5022,
        errors: 70 + 301,
        readings: 3,
        from: '2026-03-02T09:46:00.000Z',
        to: '2026-03-02T09:58:00.000Z',
      },
    ]);
  });

  it('counts a router restart (a counter going down) from zero, and nothing outside the window', () => {
    const [, first, second] = RELEASE_EVENTS;
    const restarted = {
      ...second!,
      payload: { type: 'command-done', result: { tracks: { stable: { requests: 50, errors: 5, responseTimeMs: 1 } } } },
    };
    expect(impactOf([first!, restarted], WINDOW)[0]).toMatchObject({ requests: 50, errors: 5 });
    expect(impactOf(RELEASE_EVENTS, { since: new Date('2026-03-02T10:00:00Z'), until: WINDOW.until })).toEqual([]);
  });
});

describe('the post-mortem skeleton', () => {
  const input = {
    environment: 'production',
    service: null,
    since: WINDOW.since.toISOString(),
    until: WINDOW.until.toISOString(),
    entries: incident(),
    truncated: false,
    impact: impactOf(RELEASE_EVENTS, WINDOW),
    changes: CHANGES,
  };

  it('is the markdown of test/golden/postmortem.md for the fixture incident', () => {
    const text = renderPostmortem(input);
    const file = join(REPO_ROOT, 'test/golden/postmortem.md');
    if (process.env.UPDATE_GOLDEN === '1') {
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, text);
    }
    expect(existsSync(file), `${file} is missing: run UPDATE_GOLDEN=1 on this test`).toBe(true);
    expect(text).toBe(readFileSync(file, 'utf8'));
    expect(renderPostmortem(JSON.parse(JSON.stringify(input)) as typeof input)).toBe(text);
  });

  it('says so when no counters were read, and when nothing happened, rather than inventing figures', () => {
    const empty = renderPostmortem({ ...input, entries: [], impact: [], changes: [], service: 'api' });
    expect(empty).toContain('# Post-mortem: production/api, 2026-03-02 09:00 UTC – 2026-03-02 11:00 UTC');
    expect(empty).toContain('No router counters were read in this window');
    expect(empty).toContain('Switchyard recorded nothing in this window.');
    expect(empty).toContain('No release and no configuration commit in this window.');
    for (const section of ['## Root cause', '## What went well', '## What went wrong', '## Action items'])
      expect(empty).toContain(section);
    expect(empty).toContain('| Action | Owner | Due date | Ticket |');
  });

  it('keeps a pipe or a new line in a text from breaking its table', () => {
    const [first] = incident();
    const text = renderPostmortem({ ...input, entries: [{ ...first!, text: 'a | b\nc' }] });
    expect(text).toContain('a \\| b c');
  });
});
