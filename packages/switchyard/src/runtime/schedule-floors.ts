import { floorAt, type Fleet, type Service } from '../spec/index.js';
import type { RuntimeEvent } from './port.js';

/**
 * What raises services' floors ahead of known peaks (`autoscaling.schedule`): while this server
 * leads, it sets each scheduled service's floor to what its open windows hold now, at each
 * window's opening and closing (and at least every `recheckMs`, so a new commit's windows and a
 * count an apply reset are taken up). The same on every runtime: each holds the floor its way.
 */

export interface ScheduleFloorsOptions {
  /** The fleet as served now (a new commit replaces it). */
  readonly fleet: () => Fleet;
  readonly setFloor: (service: string, floor: number | undefined) => Promise<void>;
  readonly onEvent?: (event: RuntimeEvent) => void;
  readonly now?: () => Date;
  /** The longest wait between two looks. */
  readonly recheckMs?: number;
}

const RECHECK_MS = 15_000;

export class ScheduleFloors {
  /** What each service's floor was last set to (undefined: let go). */
  private readonly set = new Map<string, number | undefined>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;

  constructor(private readonly options: ScheduleFloorsOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.set.clear();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Sets every scheduled service's floor to what holds now; returns when it next changes. */
  async tick(): Promise<Date | undefined> {
    const now = this.options.now?.() ?? new Date();
    let next: Date | undefined;
    const scheduled = this.options
      .fleet()
      .units.filter((u): u is Service => u.kind === 'Service' && (u.autoscaling?.schedule.length ?? 0) > 0);
    for (const service of scheduled) {
      const windows = service.autoscaling?.schedule ?? [];
      const floor = floorAt(windows, now);
      const minReplicas = floor?.minReplicas;
      if (floor?.until && (!next || floor.until < next)) next = floor.until;
      // Set every time: an apply or a restart may have let the floor go since.
      try {
        await this.options.setFloor(service.name, minReplicas);
        if (this.set.get(service.name) !== minReplicas)
          this.options.onEvent?.({
            type: 'schedule-floor',
            service: service.name,
            floor: minReplicas ?? null,
            windows: floor?.windows.map((w) => w.window) ?? [],
          });
        this.set.set(service.name, minReplicas);
      } catch (err) {
        this.options.onEvent?.({
          type: 'progress',
          line: `! ${service.name}: the schedule floor (${minReplicas ?? 'none'}) could not be set: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    for (const service of this.set.keys()) if (!scheduled.some((s) => s.name === service)) this.set.delete(service);
    return next;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.running = this.tick().then(
        (next) => this.again(next),
        () => this.again(undefined),
      );
    }, delayMs);
    this.timer.unref?.();
  }

  private again(next: Date | undefined): void {
    if (this.stopped) return;
    const recheck = this.options.recheckMs ?? RECHECK_MS;
    const now = (this.options.now?.() ?? new Date()).getTime();
    // Windows open at whole minutes: look again at the next one, at a change, or at the recheck.
    const nextMinute = 60_000 - (now % 60_000);
    const untilChange = next ? Math.max(0, next.getTime() - now) : Infinity;
    this.schedule(Math.min(recheck, nextMinute, untilChange));
  }
}
