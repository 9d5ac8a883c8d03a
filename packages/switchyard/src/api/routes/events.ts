import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { SwitchyardError } from '../../errors/index.js';
import type { RecordedEvent } from '../../release/index.js';
import type { ApiContext } from '../context.js';
import { releaseId } from '../input.js';
import { streamedEventAnswer } from '../answers.js';
import { route, type Route } from '../route.js';
import { stateView } from './views.js';

const eventsQuery = z.object({ after: z.coerce.number().int().min(0).optional(), release: releaseId.optional() });

/** Events read from the store per page: a replay never holds the store for long. */
const PAGE = 100;
const KEEP_ALIVE_MS = 15_000;

/** The event streams served now, bounded per token so that no caller can tie the server up. */
export class EventStreams {
  private readonly perCaller = new Map<string, number>();
  private reading = 0;
  private readonly waiting: (() => void)[] = [];
  open = 0;

  /** `readersAtOnce`: pages read from the store at the same time, whatever the number of streams. */
  constructor(
    readonly limitPerCaller = 20,
    private readonly readersAtOnce = 2,
  ) {}

  /**
   * Reads one page of a replay when its turn comes: a hundred streams replaying history share
   * the store with every other request instead of queueing a hundred reads in front of them.
   */
  async page<T>(read: () => Promise<T>): Promise<T> {
    if (this.reading >= this.readersAtOnce) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.reading++;
    try {
      return await read();
    } finally {
      this.reading--;
      this.waiting.shift()?.();
    }
  }

  /** Takes a place for `caller`; the returned function gives it back (once). */
  take(caller: string): () => void {
    const held = this.perCaller.get(caller) ?? 0;
    if (held >= this.limitPerCaller) {
      throw new SwitchyardError('SWY_API_TOO_MANY_STREAMS', {
        message: `${caller} already holds ${held} event streams, the most one token may hold`,
        details: { limit: this.limitPerCaller },
      });
    }
    this.perCaller.set(caller, held + 1);
    this.open++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.open--;
      const left = (this.perCaller.get(caller) ?? 1) - 1;
      if (left > 0) this.perCaller.set(caller, left);
      else this.perCaller.delete(caller);
    };
  }
}

/** Writes one block; waits while the client reads slowly, gives up when it left. */
async function send(out: ServerResponse, text: string, gone: () => boolean): Promise<void> {
  if (gone() || out.write(text)) return;
  const controller = new AbortController();
  await Promise.race([
    once(out, 'drain', { signal: controller.signal }),
    once(out, 'close', { signal: controller.signal }),
  ]).catch(() => undefined);
  controller.abort();
}

/** One event as a block of the stream, with the release as it stood right after that event. */
function block(e: RecordedEvent, state: unknown): string {
  const data = JSON.stringify({ seq: e.seq, release: e.releaseId, type: e.type, at: e.at, event: e.payload, state });
  return `id: ${e.seq}\nevent: ${e.type}\ndata: ${data}\n\n`;
}

/** Server-sent events of every release (or one), resumable with Last-Event-ID or ?after. */
export function eventRoutes(ctx: ApiContext, streams: EventStreams): Route[] {
  return [
    route({
      method: 'GET',
      url: '/v1/events',
      summary: 'Server-sent events: every release event, resumable with Last-Event-ID or ?after',
      tag: 'releases',
      action: 'read',
      query: eventsQuery,
      raw: true,
      response: streamedEventAnswer,
      errors: ['SWY_API_TOO_MANY_STREAMS'],
      handler: async ({ query, request, reply, principal }) => {
        const header = request.headers['last-event-id'];
        const resumeAt =
          query.after ?? (typeof header === 'string' && /^\d{1,15}$/.test(header) ? Number(header) : undefined);
        // One release's events are replayed from its start; the whole history only from where a client asks.
        let after = resumeAt ?? (query.release ? 0 : await ctx.releases.latestSeq());
        const giveBack = streams.take(principal.name);
        let closed = false;
        reply.hijack();
        const out = reply.raw;
        out.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'x-request-id': String(request.id),
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        out.write(': switchyard events\n\n');
        let pumping = false;
        let again = false;
        const pump = async (): Promise<void> => {
          if (pumping) {
            again = true;
            return;
          }
          pumping = true;
          try {
            do {
              again = false;
              for (;;) {
                if (closed) return;
                const { events, current } = await streams.page(async () => {
                  const events = closed ? [] : await ctx.releases.eventsAfter(after, PAGE, query.release);
                  // Events recorded before the state was kept with each one show the release as it is now.
                  const unkept = [...new Set(events.filter((e) => !e.state).map((e) => e.releaseId))];
                  const releases = unkept.length > 0 ? await ctx.releases.getMany(unkept) : [];
                  return { events, current: new Map(releases.map((r) => [r.id, stateView(r)])) };
                });
                for (const e of events) {
                  if (closed) return;
                  after = e.seq;
                  const state = e.state ? stateView(e.state) : (current.get(e.releaseId) ?? null);
                  await send(out, block(e, state), () => closed);
                }
                if (events.length < PAGE) break;
                // Other requests are served between two pages of a long replay.
                await new Promise((resolve) => setImmediate(resolve));
              }
            } while (again && !closed);
          } finally {
            pumping = false;
          }
        };
        const wake = () => void pump().catch((err: unknown) => request.log.error({ err }, 'event stream failed'));
        const timer = setInterval(() => {
          if (!closed) out.write(': keep-alive\n\n');
          wake();
        }, KEEP_ALIVE_MS);
        const leave = () => {
          if (closed) return;
          closed = true;
          clearInterval(timer);
          ctx.bus.off('event', wake);
          giveBack();
        };
        request.raw.on('close', leave);
        out.on('close', leave);
        ctx.bus.on('event', wake);
        await pump().catch((err: unknown) => {
          request.log.error({ err }, 'event stream failed');
          out.end();
          leave();
        });
      },
    }),
  ];
}
