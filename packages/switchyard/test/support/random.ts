/**
 * Seeded randomness for simulations: the same seed gives the same traffic, so a simulated
 * figure in a test is exact and a benchmark's run can be repeated.
 */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  /** Uniform in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  private normal(): number {
    const u = 1 - this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Arrivals in a period with `mean` expected: exact below 30, normal above. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.next();
    while (p > limit) {
      k++;
      p *= this.next();
    }
    return k;
  }

  /** Failures among `n` requests failing with probability `p` each: exact (by waiting times) when few are expected. */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (n * p > 30 && n * (1 - p) > 30)
      return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * this.normal())));
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    const logQ = Math.log(1 - p);
    let k = 0;
    let at = 0;
    for (;;) {
      at += Math.floor(Math.log(1 - this.next()) / logQ) + 1;
      if (at > n) return k;
      k++;
    }
  }
}
