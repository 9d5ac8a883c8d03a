import type { Command } from 'commander';
import { SwitchyardError } from '../../errors/index.js';
import { floorAt, occurrences, type ScheduleWindow, type Service, type WindowOccurrence } from '../../spec/index.js';
import { loadOneFleet, selectUnits } from '../fleet.js';
import { formatTable } from '../format.js';
import { printData, withOutput, type OutputFlags } from '../output.js';

const DAY = 86_400_000;

/** `Thu 2026-06-14 20:30` in a time zone. */
function localTime(at: Date, timeZone: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(at)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

const utcTime = (at: Date) => `${at.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export interface ScheduleView {
  readonly service: string;
  readonly environment: string;
  readonly at: string;
  /** The stable track's replicas without any window: the autoscaler's minimum, else the track's replicas. */
  readonly base: number;
  readonly floor: { readonly minReplicas: number; readonly windows: readonly string[]; readonly until?: string } | null;
  readonly windows: readonly {
    readonly window: string;
    readonly timezone: string;
    readonly opens: string;
    readonly closes: string;
    readonly minReplicas: number;
  }[];
}

export function scheduleView(service: Service, at: Date, days: number): ScheduleView {
  const windows: readonly ScheduleWindow[] = service.autoscaling?.schedule ?? [];
  const zone = new Map(windows.map((w) => [w.name, w.timezone]));
  const floor = floorAt(windows, at);
  const stable = service.tracks.find((t) => t.name === service.stableTrack);
  return {
    service: service.name,
    environment: service.env,
    at: at.toISOString(),
    base: service.autoscaling?.cpu?.min ?? stable?.replicas ?? 0,
    floor: floor
      ? {
          minReplicas: floor.minReplicas,
          windows: floor.windows.map((o) => o.window),
          ...(floor.until ? { until: floor.until.toISOString() } : {}),
        }
      : null,
    windows: occurrences(windows, at, new Date(at.getTime() + days * DAY)).map((o: WindowOccurrence) => ({
      window: o.window,
      timezone: zone.get(o.window) ?? 'UTC',
      opens: o.start.toISOString(),
      closes: o.end.toISOString(),
      minReplicas: o.minReplicas,
    })),
  };
}

export function describeSchedule(view: ScheduleView, days: number): string {
  const lines = [
    `${view.service} in ${view.environment}: ${
      view.floor
        ? `floor ${view.floor.minReplicas} replicas now (${view.floor.windows.join(', ')}${view.floor.until ? `, until ${utcTime(new Date(view.floor.until))}` : ''})`
        : `no window open now (${view.base} replicas without one)`
    }`,
  ];
  if (view.windows.length === 0) {
    lines.push(`  no window opens in the next ${days} days`);
    return `${lines.join('\n')}\n`;
  }
  const rows = view.windows.map((w) => [
    w.window,
    `${localTime(new Date(w.opens), w.timezone)} ${w.timezone}`,
    utcTime(new Date(w.opens)),
    utcTime(new Date(w.closes)),
    String(w.minReplicas),
  ]);
  const header = ['WINDOW', 'OPENS (LOCAL)', 'OPENS', 'CLOSES', 'FLOOR'];
  lines.push(formatTable([header, ...rows], '  '));
  return `${lines.join('\n')}\n`;
}

function positiveDays(text: string): number {
  const days = Number(text);
  if (!Number.isInteger(days) || days < 1 || days > 366)
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--days takes a whole number of days from 1 to 366, not ${text}`,
    });
  return days;
}

function instant(text: string): Date {
  const at = new Date(text);
  if (Number.isNaN(at.getTime()))
    throw new SwitchyardError('SWY_CLI_USAGE', {
      message: `--at takes a date and time, such as 2026-06-14T18:00:00Z, not ${text}`,
    });
  return at;
}

/** `switchyard schedule <config-dir> <service> --env E`: the floor now and the windows ahead. */
export function registerSchedule(program: Command): void {
  withOutput(
    program
      .command('schedule')
      .description("Show when a service's schedule windows raise its floor: now, and the windows ahead")
      .argument('<config-dir>', 'directory holding services/ and environments/')
      .argument('<service>', 'service whose autoscaling.schedule to show')
      .requiredOption('-e, --env <env>', 'environment whose spec to read')
      .option('--days <n>', 'how many days ahead to list', positiveDays, 7)
      .option('--at <time>', 'list from this time instead of now (ISO 8601)', instant),
  ).action(async (dir: string, name: string, opts: { env: string; days: number; at?: Date } & OutputFlags) => {
    const unit = selectUnits(await loadOneFleet(dir, opts.env), [name]).units[0];
    if (unit?.kind !== 'Service')
      throw new SwitchyardError('SWY_SPEC_SERVICE_NOT_FOUND', {
        message: `${name} is a worker: schedules raise the floor of services`,
        details: { service: name },
      });
    const view = scheduleView(unit, opts.at ?? new Date(), opts.days);
    if (!printData(opts, view)) process.stdout.write(describeSchedule(view, opts.days));
  });
}
