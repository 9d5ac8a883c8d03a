import type { Observation, RunningLeftover, RunningService } from './types.js';

/** Where a leftover belongs in the report: the track it claims, or `router` for a router entry. */
function partOf(leftover: RunningLeftover): string {
  return leftover.track ?? 'router';
}

const described = (l: RunningLeftover) => `${l.kind} ${l.name}${l.version ? ` (version ${l.version})` : ''}`;

/**
 * Objects of a service that no desired state explains (Bitmovin's forgotten blue/green
 * versions): one finding per track they claim, naming each object and the command that removes it.
 */
export function leftoverFindings(running: RunningService): Observation[] {
  const parts = new Map<string, RunningLeftover[]>();
  for (const l of running.leftovers ?? []) parts.set(partOf(l), [...(parts.get(partOf(l)) ?? []), l]);
  return [...parts].map(([part, leftovers]) => {
    const sorted = [...leftovers].sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
    return {
      check: 'leftovers',
      severity: 'warning',
      unit: running.service,
      part,
      objects: sorted.map((l) => `${l.kind}/${l.name}`),
      message: `${running.service}/${part}: ${sorted.length === 1 ? 'an object' : `${sorted.length} objects`} no desired state explains: ${sorted.map(described).join(', ')}`,
      hint: `Nothing routes to ${sorted.length === 1 ? 'it' : 'them'} on purpose; remove ${sorted.length === 1 ? 'it' : 'them'} once nobody needs ${sorted.length === 1 ? 'it' : 'them'}: ${sorted.map((l) => `\`${l.remove}\``).join('; ')}.`,
    };
  });
}
