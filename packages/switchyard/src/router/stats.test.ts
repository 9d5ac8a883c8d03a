import { describe, expect, it } from 'vitest';
import { combineFigures, type TrackFigures } from './stats.js';

const figures = (track: string, requests: number, responses5xx: number, responseTimeMs: number): TrackFigures => ({
  track,
  requests,
  responses1xx: 0,
  responses2xx: requests - responses5xx,
  responses3xx: 0,
  responses4xx: 0,
  responses5xx,
  connectionErrors: 1,
  responseErrors: 0,
  responseTimeMs,
  currentSessions: 1,
  serversUp: 2,
});

describe('the figures of several router pods', () => {
  it('add up, with the response time weighted by the requests each answered', () => {
    const [free, production] = combineFigures([
      [figures('free', 10, 1, 100), figures('production', 0, 0, 0)],
      [figures('free', 30, 2, 20)],
    ]);
    expect(free).toMatchObject({
      track: 'free',
      requests: 40,
      responses2xx: 37,
      responses5xx: 3,
      connectionErrors: 2,
      currentSessions: 2,
      serversUp: 4,
      responseTimeMs: 40,
    });
    expect(production).toMatchObject({ track: 'production', requests: 0, responseTimeMs: 0 });
  });
});
