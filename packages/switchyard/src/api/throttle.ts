import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface ThrottleSettings {
  /** Failed authentications one address may make per window… */
  readonly failures: number;
  readonly windowSeconds: number;
  /** …before every request from it is refused for this long. */
  readonly blockSeconds: number;
}

export const DEFAULT_THROTTLE: ThrottleSettings = { failures: 20, windowSeconds: 60, blockSeconds: 60 };

/**
 * Slows down token guessing: an address that fails to authenticate too often is refused
 * outright for a while, valid token or not, so a guess can never be checked at full speed.
 */
export class AuthThrottle {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly settings: ThrottleSettings = DEFAULT_THROTTLE) {
    this.limiter = new RateLimiterMemory({
      points: settings.failures,
      duration: settings.windowSeconds,
      blockDuration: settings.blockSeconds,
    });
  }

  /** Milliseconds until `address` may try again; 0 when it may now. */
  async blockedFor(address: string): Promise<number> {
    const state = await this.limiter.get(address);
    return state && state.consumedPoints > this.settings.failures ? Math.max(1, state.msBeforeNext) : 0;
  }

  /** Counts a failed authentication; says whether this one started a block. */
  async failed(address: string): Promise<{ readonly blockedNow: boolean }> {
    try {
      await this.limiter.consume(address);
      return { blockedNow: false };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { blockedNow: err.consumedPoints === this.settings.failures + 1 };
      throw err;
    }
  }
}
