/** The candidate closest to a misspelt word, when it is close enough to be what was meant. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  // Only distances up to the limit count; each better candidate lowers the bar for the next.
  let bar = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const candidate of candidates) {
    // Two words are at least as far apart as their lengths differ: most candidates end here.
    if (Math.abs(candidate.length - word.length) >= bar) continue;
    const d = distance(lower, candidate.toLowerCase(), bar - 1);
    if (d < bar) {
      best = candidate;
      bar = d;
    }
  }
  return best;
}

/** Edit distance between `a` and `b`, or `max + 1` as soon as it is known to exceed `max`. */
function distance(a: string, b: string, max: number): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0] as number;
    row[0] = i;
    let smallest = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j] as number;
      row[j] = Math.min((row[j] as number) + 1, (row[j - 1] as number) + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
      if ((row[j] as number) < smallest) smallest = row[j] as number;
    }
    if (smallest > max) return max + 1;
  }
  return row[b.length] as number;
}
