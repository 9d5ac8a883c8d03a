/**
 * A running HAProxy's own view of its servers (`show servers state`), read when a restarted
 * control plane adopts it: which slot holds which replica is what HAProxy routes to now, not
 * what a file said before the crash.
 */
export interface LiveServer {
  readonly backend: string;
  readonly server: string;
  readonly host: string;
  readonly port: number;
  readonly state: 'active' | 'draining' | 'free';
}

/**
 * Admin-state bits (HAProxy's SRV_ADMF_*): forced, inherited and resolver maintenance; forced
 * drain. The configured-maintenance bit (0x04, `disabled`) stays set on a slot the Runtime API
 * put back into service, so it says nothing.
 */
const MAINTENANCE = 0x01 | 0x02 | 0x20;
const DRAIN = 0x08;

export function parseServersState(text: string, placeholderPort: number): LiveServer[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const header =
    lines
      .find((l) => l.startsWith('# '))
      ?.slice(2)
      .split(' ') ?? [];
  const column = (cells: string[], name: string): string => cells[header.indexOf(name)] ?? '';
  return lines
    .filter((l) => !l.startsWith('#') && l.includes(' '))
    .map((l) => {
      const cells = l.split(' ');
      const admin = Number(column(cells, 'srv_admin_state'));
      const port = Number(column(cells, 'srv_port'));
      const state = admin & MAINTENANCE || port === placeholderPort ? 'free' : admin & DRAIN ? 'draining' : 'active';
      return {
        backend: column(cells, 'be_name'),
        server: column(cells, 'srv_name'),
        host: column(cells, 'srv_addr'),
        port,
        state,
      } as const;
    });
}

/**
 * The configuration without what changes as replicas come and go (server addresses and the
 * maintenance flag): an adopted HAProxy whose file differs only there needs no reload, which
 * would restart its counters.
 */
export function configStructure(config: string): string {
  return config
    .split('\n')
    .map((line) => line.replace(/^(\s*server s\d+) \S+(.*?)( disabled)?$/, '$1$2'))
    .join('\n');
}
