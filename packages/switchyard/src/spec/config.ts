import { basename, extname, join } from 'node:path';

/** A configuration file's name: the loaders read these only. */
export const YAML_FILE = /\.ya?ml$/;
import { SwitchyardError, type Issue } from '../errors/index.js';
import { parseDuration } from '@switchyard/worker/units';
import { DEFAULT_ALERTS, DEFAULT_RULES, type AlertRule, type AlertsConfig, type Receiver } from './alerting.js';
import { DEFAULTS } from './defaults.js';
import { append, at, issuesFromZod, placeOf, type Place } from './issues.js';
import type { Environment, Fleet, Unit } from './model.js';
import { isPlainObject, mergeLayers, type Layer } from './overlay.js';
import { resolveService, resolveWorker, withDefaultTracks } from './resolve.js';
import { environmentSchema, serviceSchema, unitSchema, workerSchema, type EnvironmentSpec } from './schema.js';
import { portProblems } from './ports.js';
import { CONFIG_LIMITS, checkSizes, type ConfigLimits } from './limits.js';
import { SourceFile, type DocPath } from './source.js';

export const SERVICES_DIR = 'services';
export const ENVIRONMENTS_DIR = 'environments';

/** The files of one configuration directory, parsed but not yet validated. */
export interface ConfigFiles {
  readonly dir: string;
  readonly units: readonly SourceFile[];
  readonly environments: readonly SourceFile[];
  /** Syntax problems found while reading (empty files, YAML errors). */
  readonly issues: readonly Issue[];
}

export interface ParseOptions {
  /** Size bounds; the defaults suit any real fleet (benchmarks lift them to measure the parser). */
  readonly limits?: Partial<ConfigLimits>;
  /** Problems already found while reading the files (links, names, encodings). */
  readonly issues?: readonly Issue[];
}

/** Parses configuration files given as `services/x.yaml` → text (from disk, a request or a test). */
export function parseConfig(
  dir: string,
  texts: Readonly<Record<string, string>>,
  options: ParseOptions = {},
): ConfigFiles {
  const issues: Issue[] = [...(options.issues ?? [])];
  const files = Object.keys(texts).filter(
    (file) => YAML_FILE.test(file) && [SERVICES_DIR, ENVIRONMENTS_DIR].some((sub) => file.startsWith(`${sub}/`)),
  );
  checkSizes(
    dir,
    files.map((file) => ({ file, bytes: Buffer.byteLength(texts[file] as string) })),
    { ...CONFIG_LIMITS, ...options.limits },
  );
  const parse = (sub: string): SourceFile[] =>
    files
      .filter((file) => file.startsWith(`${sub}/`))
      .sort()
      .flatMap((file) => {
        const parsed = SourceFile.parse(file, texts[file] as string);
        append(issues, parsed.issues);
        return parsed.issues.length === 0 ? [parsed.source] : [];
      });
  const units = parse(SERVICES_DIR);
  const environments = parse(ENVIRONMENTS_DIR);
  if (units.length === 0 && issues.length === 0) {
    throw new SwitchyardError('SWY_SPEC_NO_SERVICES', {
      message: `${join(dir, SERVICES_DIR)} holds no service files (*.yaml)`,
      details: { dir },
    });
  }
  return { dir, units, environments, issues };
}

/** The environment used when a configuration has no environments/ directory. */
const IMPLICIT_ENVIRONMENT: Environment = {
  name: 'local',
  local: { ...DEFAULTS.local, ports: {} },
  runtime: 'local',
  namespace: DEFAULTS.namespace,
  protected: false,
  ingressClass: DEFAULTS.ingressClass,
  freezes: [],
  alerts: DEFAULT_ALERTS,
};

interface ParsedEnvironment {
  readonly source?: SourceFile;
  readonly spec?: EnvironmentSpec;
  readonly environment: Environment;
}

function parseEnvironment(source: SourceFile, issues: Issue[]): ParsedEnvironment | undefined {
  const layers: Layer[] = [{ source, prefix: [], value: source.data as Record<string, unknown> }];
  const result = environmentSchema.safeParse(source.data);
  if (!result.success) {
    append(issues, issuesFromZod(result.error, source.data, layers, environmentSchema));
    return undefined;
  }
  const spec = result.data;
  const expected = basename(source.file, extname(source.file));
  if (spec.name !== expected) {
    issues.push(
      at(layers, ['name'], {
        code: 'name_mismatch',
        message: `environment name "${spec.name}" does not match its file name ${source.file}`,
        hint: `Rename the file to environments/${spec.name}.yaml or set name: ${expected}.`,
      }),
    );
    return undefined;
  }
  const namespace = spec.cluster?.namespace ?? DEFAULTS.namespace;
  return {
    source,
    spec,
    environment: {
      name: spec.name,
      file: source.file,
      local: { ...DEFAULTS.local, ...spec.local, ports: spec.local?.ports ?? {} },
      runtime: spec.runtime,
      ...(spec.cluster
        ? {
            cluster: {
              context: spec.cluster.context,
              namespace,
              ...(spec.cluster.identity ? { identity: spec.cluster.identity } : {}),
            },
          }
        : {}),
      namespace,
      protected: spec.protected,
      ...(spec.registry ? { registry: spec.registry } : {}),
      ingressClass: spec.ingressClass,
      freezes: (spec.freezes ?? []).map((f) => ({ name: f.name, from: f.from, to: f.to, timezone: f.timezone })),
      alerts: alertsOf(spec.alerts),
    },
  };
}

/** The file's alerting: its own rules before the built-in ones, its repeat interval, its receivers. */
function alertsOf(spec: EnvironmentSpec['alerts']): AlertsConfig {
  if (!spec) return DEFAULT_ALERTS;
  return {
    rules: [
      ...(spec.rules ?? []).map((r): AlertRule => ({
        name: r.name,
        severity: r.severity,
        forMs: parseDuration(r.for) as number,
        ...(r.checks ? { checks: r.checks } : {}),
        ...(r.services ? { services: r.services } : {}),
      })),
      ...DEFAULT_RULES,
    ],
    repeatMs: parseDuration(spec.repeat) as number,
    receivers: (spec.receivers ?? []).map(receiverOf),
    ...(spec.url ? { url: spec.url } : {}),
  };
}

function receiverOf(r: NonNullable<NonNullable<EnvironmentSpec['alerts']>['receivers']>[number]): Receiver {
  if (r.type !== 'email') return { name: r.name, type: r.type, urlFrom: r.urlFrom };
  return { name: r.name, type: r.type, urlFrom: r.urlFrom, to: typeof r.to === 'string' ? [r.to] : r.to, from: r.from };
}

function unitName(source: SourceFile): string | undefined {
  const data = source.data;
  return isPlainObject(data) && typeof data.name === 'string' ? data.name : undefined;
}

function unitKind(source: SourceFile): string | undefined {
  const data = source.data;
  return isPlainObject(data) && typeof data.kind === 'string' ? data.kind : undefined;
}

/** What a unit is merged from in one environment, in order: its file, the environment's defaults, its overlay. */
function unitLayers(source: SourceFile, env: ParsedEnvironment): Layer[] {
  const name = unitName(source);
  const layers: Layer[] = [
    { source, prefix: [], value: isPlainObject(source.data) ? withDefaultTracks(source.data) : {} },
  ];
  const defaultsKey = unitKind(source) === 'Worker' ? 'workerDefaults' : 'serviceDefaults';
  const defaults = env.spec?.[defaultsKey];
  if (env.source && defaults && isPlainObject(defaults))
    layers.push({ source: env.source, prefix: [defaultsKey], value: defaults });
  const overlay = name !== undefined ? env.spec?.services?.[name] : undefined;
  if (env.source && overlay) layers.push({ source: env.source, prefix: ['services', name as string], value: overlay });
  return layers;
}

/** Resolves every unit for one environment; problems are collected, never thrown one by one. */
function resolveUnits(files: ConfigFiles, env: ParsedEnvironment, issues: Issue[]): Unit[] {
  const units: Unit[] = [];
  const seen = new Map<string, SourceFile>();
  for (const source of files.units) {
    const name = unitName(source);
    const layers = unitLayers(source, env);
    const baseLayer = layers[0] as Layer;
    if (name !== undefined) {
      const first = seen.get(name);
      if (first) {
        issues.push(
          at([baseLayer], ['name'], {
            code: 'duplicate_name',
            message: `${name} is also described in ${first.file}`,
            hint: 'Each service or worker must have a unique name: rename one of them or delete the duplicate.',
          }),
        );
        continue;
      }
      seen.set(name, source);
    }
    const kind = unitKind(source);
    for (const layer of layers.slice(1)) {
      for (const fixed of ['name', 'kind', 'apiVersion']) {
        if (fixed in layer.value) {
          issues.push(
            at(
              [layer],
              [fixed],
              {
                code: 'overlay_fixed_field',
                message: `an overlay cannot change ${fixed}`,
                hint: `Remove ${fixed} from this overlay; it is set in the service file.`,
              },
              true,
            ),
          );
        }
      }
    }
    const merged = mergeLayers(layers);
    const schema = kind === 'Worker' ? workerSchema : serviceSchema;
    const parsed = unitSchema.safeParse(merged);
    if (!parsed.success) {
      append(issues, issuesFromZod(parsed.error, merged, layers, schema));
      continue;
    }
    const resolved =
      parsed.data.kind === 'Service'
        ? resolveService(parsed.data, env.environment, layers, source.file)
        : resolveWorker(parsed.data, env.environment, layers, source.file);
    if (resolved.ok) units.push(resolved.value);
    else append(issues, resolved.issues);
  }
  if (env.source && env.spec?.services) {
    for (const name of Object.keys(env.spec.services)) {
      if (!seen.has(name)) {
        const known = [...seen.keys()].sort().join(', ');
        issues.push(
          at(
            [{ source: env.source, prefix: [], value: {} }],
            ['services', name],
            {
              code: 'unknown_service',
              message: `overlay for ${name}, which no file under services/ describes`,
              hint: `Fix the name (known: ${known}) or remove the overlay.`,
            },
            true,
          ),
        );
      }
    }
  }
  const queues = new Map<string, Unit>();
  for (const unit of units) {
    if (unit.kind !== 'Worker') continue;
    const other = queues.get(unit.queue.name);
    if (other) {
      const source = files.units.find((s) => s.file === unit.file) as SourceFile;
      issues.push(
        at([{ source, prefix: [], value: {} }], ['queue', 'name'], {
          code: 'duplicate_queue',
          message: `queue ${unit.queue.name} is also consumed by ${other.name}`,
          hint: "Give each worker its own queue; two workers on one queue would take each other's tasks.",
        }),
      );
    }
    queues.set(unit.queue.name, unit);
  }
  if (env.environment.runtime === 'local')
    checkLocalPorts(
      env,
      [...seen.values()].filter((s) => unitKind(s) === 'Service'),
      issues,
    );
  return units.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The ports the local runtime will listen on, checked before anything tries to bind them.
 * Every service file counts, valid or not yet, so that a problem elsewhere does not shift the ports.
 */
function checkLocalPorts(env: ParsedEnvironment, serviceFiles: readonly SourceFile[], issues: Issue[]): void {
  const services = serviceFiles.map(unitName).filter((name): name is string => name !== undefined);
  const layers: Layer[] = env.source
    ? [{ source: env.source, prefix: [], value: env.source.data as Record<string, unknown> }]
    : [];
  for (const p of portProblems(env.environment.local, services, (path) => env.source?.has(path) ?? false)) {
    issues.push(at(layers, p.path, { code: p.code, message: p.message, hint: p.hint }));
  }
}

function dedupe(issues: readonly Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}:${i.line}:${i.column}:${i.path}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function parseEnvironments(files: ConfigFiles, issues: Issue[]): ParsedEnvironment[] {
  if (files.environments.length === 0) return [{ environment: IMPLICIT_ENVIRONMENT }];
  return files.environments
    .map((s) => parseEnvironment(s, issues))
    .filter((e): e is ParsedEnvironment => e !== undefined);
}

/** More problems than anyone reads: a file of generated keys can hold a hundred thousand. */
const MAX_LISTED_ISSUES = 1000;

function invalid(issues: readonly Issue[], dir: string): SwitchyardError {
  const unique = dedupe(issues);
  const listed = unique.length > MAX_LISTED_ISSUES ? `; the first ${MAX_LISTED_ISSUES} are listed` : '';
  return new SwitchyardError('SWY_SPEC_INVALID', {
    message: `The configuration in ${dir} is invalid (${unique.length} problem${unique.length === 1 ? '' : 's'}${listed})`,
    issues: unique.slice(0, MAX_LISTED_ISSUES),
  });
}

/** One environment's fleet; throws SWY_SPEC_INVALID listing every problem. */
export function resolveFleet(files: ConfigFiles, envName: string): Fleet {
  const issues: Issue[] = [...files.issues];
  const environments = parseEnvironments(files, issues);
  const names =
    files.environments.length === 0 ? ['local'] : files.environments.map((s) => basename(s.file, extname(s.file)));
  if (!names.includes(envName)) {
    throw new SwitchyardError('SWY_SPEC_ENV_NOT_FOUND', {
      message: `The environment ${envName} does not exist in ${files.dir}`,
      hint: `Use one of: ${names.join(', ')}; or add ${ENVIRONMENTS_DIR}/${envName}.yaml.`,
      details: { environment: envName, known: names },
    });
  }
  const env = environments.find((e) => e.environment.name === envName);
  const units = env ? resolveUnits(files, env, issues) : [];
  if (issues.length > 0 || !env) throw invalid(issues, files.dir);
  return { dir: files.dir, environment: env.environment, units };
}

/** Every environment's fleet; throws SWY_SPEC_INVALID listing every problem of every environment. */
export function resolveAll(files: ConfigFiles): Fleet[] {
  const issues: Issue[] = [...files.issues];
  const environments = parseEnvironments(files, issues);
  const fleets = environments.map((env) => ({
    dir: files.dir,
    environment: env.environment,
    units: resolveUnits(files, env, issues),
  }));
  if (issues.length > 0) throw invalid(issues, files.dir);
  return fleets;
}

/**
 * A field of the configuration, named as a user writes it: in a unit's description (its service
 * file, then the environment's defaults and overlay of it) or in the environment file.
 */
export interface ConfigField {
  readonly file: 'unit' | 'environment';
  /** Paths that may set the value, most specific first: the first one written is the place. */
  readonly paths: readonly DocPath[];
}

/** Where a field of a unit (by name) or of the environment is written; undefined when no file holds either. */
export type LocateField = (unit: string | undefined, field: ConfigField) => Place | undefined;

/**
 * Finds fields in one environment's files by the parser's positions: the first of `paths` that a
 * layer wrote, else the nearest written ancestor of the first, in the layer that would hold it.
 */
export function locateFields(files: ConfigFiles, envName: string): LocateField {
  const envSource = files.environments.find((s) => basename(s.file, extname(s.file)) === envName);
  const env: ParsedEnvironment | undefined = envSource
    ? parseEnvironment(envSource, [])
    : { environment: IMPLICIT_ENVIRONMENT };
  return (unit, field) => {
    if (!env) return undefined;
    let layers: Layer[] = [];
    if (field.file === 'environment') {
      if (env.source) layers = [{ source: env.source, prefix: [], value: env.source.data as Record<string, unknown> }];
    } else {
      const source = files.units.find((s) => unit !== undefined && unitName(s) === unit);
      if (source) layers = unitLayers(source, env);
    }
    const written = field.paths.find((path) => layers.some((l) => l.source.has([...l.prefix, ...path])));
    return placeOf(layers, written ?? field.paths[0] ?? [], true);
  };
}
