import { describe, expect, it } from 'vitest';
import {
  EVERY_ANSWER,
  LATENCY_BOUNDS_MS,
  addHistograms,
  latencyRules,
  latencyTable,
  latencyTableSection,
  parseLatencyTable,
} from './latency.js';

/** A `show table latency` answer as HAProxy 2.6 gives it (12 counters: 11 bounds and every answer). */
const ANSWER = [
  '# table: latency, type: string, size:16, used:2',
  '0x5619a3189c30: key=stable use=0 exp=0 gpc0=90 gpc1=95 gpc2=97 gpc3=98 gpc4=99 gpc5=100 gpc6=100 gpc7=100 gpc8=100 gpc9=100 gpc10=100 gpc11=100',
  '0x5619a3189d40: key=canary use=1 exp=0 gpc0=1 gpc1=2 gpc2=3 gpc3=4 gpc4=5 gpc5=6 gpc6=7 gpc7=8 gpc8=9 gpc9=9 gpc10=9 gpc11=10',
  '',
].join('\n');

describe("the router's response-time histograms", () => {
  it('counts every answer in the last counter and each bound in its own, guarded against a missing time', () => {
    const rules = latencyRules('canary');
    expect(rules[0]).toBe('    http-request track-sc2 str(canary) table latency');
    expect(rules.filter((r) => r.includes('sc-inc-gpc'))).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(rules.at(-1)).toBe(`    http-response sc-inc-gpc(${LATENCY_BOUNDS_MS.length},2)`);
    expect(rules[2]).toBe(
      '    http-response sc-inc-gpc(0,2) if { var(txn.tr) -m int ge 0 } { var(txn.tr) -m int le 5 }',
    );
    expect(latencyTableSection(3).at(-1)).toBe(
      `    stick-table type string len 64 size 16 store gpc(${LATENCY_BOUNDS_MS.length + 1})`,
    );
  });

  it('reads cumulative buckets per track, in seconds, the last one holding every answer', () => {
    const tables = parseLatencyTable(ANSWER);
    expect([...tables.keys()]).toEqual(['stable', 'canary']);
    const canary = tables.get('canary')!;
    expect(canary).toHaveLength(LATENCY_BOUNDS_MS.length + 1);
    expect(canary[0]).toEqual({ le: 0.005, count: 1 });
    expect(canary[7]).toEqual({ le: 1, count: 8 });
    expect(canary.at(-1)).toEqual({ le: EVERY_ANSWER, count: 10 });
    // The bound survives the JSON round trip a release's state makes.
    expect(JSON.parse(JSON.stringify(canary))).toEqual(canary);
  });

  it('refuses an answer that is not the table, and reads it as no histogram where a router may predate it', () => {
    expect(() => parseLatencyTable('Unknown command: show table latency\n')).toThrow(/not a latency table/);
    expect(() => parseLatencyTable("No such table 'latency'\n")).toThrow(/not a latency table/);
    expect(latencyTable("No such table 'latency'\n").size).toBe(0);
    expect(parseLatencyTable('# table: latency, type: string, size:16, used:0\n').size).toBe(0);
  });

  it("adds several routers' histograms bucket by bucket", () => {
    const tables = parseLatencyTable(ANSWER);
    const sum = addHistograms([tables.get('canary')!, tables.get('stable')!])!;
    expect(sum[0]).toEqual({ le: 0.005, count: 91 });
    expect(sum.at(-1)).toEqual({ le: EVERY_ANSWER, count: 110 });
    expect(addHistograms([])).toBeUndefined();
  });
});
