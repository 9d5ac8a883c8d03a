/**
 * Response times per track as a histogram, counted by the router itself. HAProxy's statistics
 * carry only an average per backend, which cannot say whether the slowest requests got slower,
 * so every track backend counts its answers into cumulative buckets of a stick table: each
 * answer increments the general purpose counter of every bucket bound it is under (`le`, as
 * Prometheus histograms do), and the last counter counts every answer. The time is HAProxy's
 * `Tr`, from the request sent to the server to its response headers: the server's response
 * time, the figure behind the statistics' average. No Lua and no log parsing: the counters live
 * in HAProxy and are read with `show table` over the Runtime API, like every other live figure.
 */

/** Bucket bounds, ms; the counter after the last bound counts every answer (+Inf). */
export const LATENCY_BOUNDS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000] as const;

/** The stick table the track backends count into, keyed by track name. */
export const LATENCY_TABLE = 'latency';

/** The stick counter the track backends track their table entry with (sc0 and sc1 stay free for users' rules). */
const COUNTER = 2;

/**
 * The last bucket's bound: every answer. Number.MAX_VALUE rather than Infinity, so that a
 * histogram kept in a release's state survives a JSON round trip (Infinity becomes null).
 */
export const EVERY_ANSWER = Number.MAX_VALUE;

/** One cumulative bucket: answers that took at most `le` seconds (the last one: EVERY_ANSWER). */
export interface LatencyBucket {
  readonly le: number;
  readonly count: number;
}

export type LatencyHistogram = readonly LatencyBucket[];

/** The proxy that holds the table (a backend with no servers, never routed to). */
export function latencyTableSection(tracks: number): string[] {
  return [
    `backend ${LATENCY_TABLE}`,
    '    # Answers per track by response time (cumulative buckets); read with `show table latency`.',
    `    stick-table type string len 64 size ${Math.max(16, tracks * 2)} store gpc(${LATENCY_BOUNDS_MS.length + 1})`,
  ];
}

/** The rules of a track's backend that count its answers into the table. */
export function latencyRules(track: string): string[] {
  return [
    `    http-request track-sc${COUNTER} str(${track}) table ${LATENCY_TABLE}`,
    '    http-response set-var-fmt(txn.tr) "%Tr"',
    ...LATENCY_BOUNDS_MS.map(
      (ms, i) =>
        `    http-response sc-inc-gpc(${i},${COUNTER}) if { var(txn.tr) -m int ge 0 } { var(txn.tr) -m int le ${ms} }`,
    ),
    `    http-response sc-inc-gpc(${LATENCY_BOUNDS_MS.length},${COUNTER})`,
  ];
}

/** The command that reads the table. */
export const SHOW_LATENCY = `show table ${LATENCY_TABLE}`;

/**
 * Histograms per track from a `show table latency` answer. Throws when the answer is not the
 * table (an older configuration without it, a refused command): the caller then has none.
 */
export function parseLatencyTable(answer: string): Map<string, LatencyHistogram> {
  const lines = answer.split('\n').filter((l) => l.trim().length > 0);
  if (!lines[0]?.startsWith(`# table: ${LATENCY_TABLE},`)) {
    throw new Error(`not a latency table: ${JSON.stringify((lines[0] ?? '').slice(0, 120))}`);
  }
  const histograms = new Map<string, LatencyHistogram>();
  for (const line of lines.slice(1)) {
    const key = /\skey=(\S+)/.exec(line)?.[1];
    if (key === undefined) continue;
    const counts = LATENCY_BOUNDS_MS.map((_, i) => counter(line, i));
    const total = counter(line, LATENCY_BOUNDS_MS.length);
    histograms.set(key, [
      ...LATENCY_BOUNDS_MS.map((ms, i) => ({ le: ms / 1000, count: counts[i]! })),
      { le: EVERY_ANSWER, count: total },
    ]);
  }
  return histograms;
}

/** The histograms of an answer; none when it is not the table (a router started from an older configuration). */
export function latencyTable(answer: string): Map<string, LatencyHistogram> {
  try {
    return parseLatencyTable(answer);
  } catch {
    return new Map();
  }
}

function counter(line: string, index: number): number {
  return Number(new RegExp(`\\sgpc${index}=(\\d+)`).exec(line)?.[1] ?? 0);
}

/** Several routers' histograms of one track as one (bucket by bucket). */
export function addHistograms(histograms: readonly LatencyHistogram[]): LatencyHistogram | undefined {
  const [first, ...rest] = histograms;
  if (!first) return undefined;
  return first.map((b, i) => ({ le: b.le, count: rest.reduce((n, h) => n + (h[i]?.count ?? 0), b.count) }));
}
