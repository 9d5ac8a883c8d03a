/**
 * The config repository: every desired-state change of a service in an environment is one
 * commit of its rendered objects, `<environment>/<service>/<kind>-<name>.yaml`, plus a small
 * `release.json` that history reads without parsing YAML.
 */
export interface ConfigRepo {
  /** Writes exactly `files` for the service (removing the ones no longer rendered) and commits, unless nothing changed. */
  commit(change: ConfigChange): Promise<CommitResult>;
  /** The newest commit carrying `key: value` as a trailer, e.g. a retried command looking for the commit it made. */
  findCommitByTrailer(key: string, value: string): Promise<CommitInfo | undefined>;
  /** Commits that touched the service, newest first. */
  history(query: HistoryQuery): Promise<HistoryEntry[]>;
  /** The service's files and release.json at a commit: what a rollback to that commit re-applies. */
  readAt(sha: string, environment: string, service: string): Promise<ServiceSnapshot>;
  /** The current commit, or undefined before the first one. */
  head(): Promise<string | undefined>;
  /** Brings the working copy up to its remote (commits another replica pushed); nothing without a remote. */
  refresh(): Promise<void>;
}

export interface Person {
  readonly name: string;
  readonly email: string;
}

/** What release.json records besides the service and environment. */
export interface ReleaseManifest {
  /** Track → version. */
  readonly versions: Readonly<Record<string, string>>;
  /** Traffic group → percentage on its canary track. */
  readonly shares: Readonly<Record<string, number>>;
  readonly legacyShare?: number;
  /** Track → replicas, when known. */
  readonly replicas?: Readonly<Record<string, number>>;
}

export interface ServiceManifest extends ReleaseManifest {
  readonly environment: string;
  readonly service: string;
}

export interface ConfigChange {
  readonly environment: string;
  readonly service: string;
  /** File name inside `<environment>/<service>/` → content; `serviceFiles()` builds it from a rendered unit. */
  readonly files: ReadonlyMap<string, string>;
  readonly manifest: ReleaseManifest;
  /** Who asked for the change; the committer is Switchyard itself. */
  readonly author: Person;
  /** First line: what changed; further lines: why. */
  readonly message: string;
  /** e.g. `{ 'Switchyard-Release': id, 'Switchyard-Command': '<id>/<seq>' }`. */
  readonly trailers?: Readonly<Record<string, string>>;
}

export interface CommitResult {
  /** The new commit, or the current HEAD when nothing changed. */
  readonly sha: string;
  readonly changed: boolean;
}

export interface CommitInfo {
  readonly sha: string;
  readonly date: Date;
  readonly author: Person;
  /** The message without its trailers. */
  readonly message: string;
  readonly trailers: Readonly<Record<string, string>>;
}

export interface HistoryQuery {
  /** All environments when absent. */
  readonly environment?: string;
  readonly service: string;
  /** Default 50. */
  readonly limit?: number;
}

export interface HistoryEntry extends CommitInfo {
  readonly environment: string;
  /** The `Switchyard-Release` trailer, if the change came from a release. */
  readonly releaseId: string | null;
  /** release.json at that commit (null when the commit removed the service). */
  readonly manifest: ServiceManifest | null;
}

export interface ServiceSnapshot {
  readonly sha: string;
  readonly environment: string;
  readonly service: string;
  /** File name → content, release.json excluded. */
  readonly files: ReadonlyMap<string, string>;
  readonly manifest: ServiceManifest | null;
}

export const RELEASE_TRAILER = 'Switchyard-Release';
export const COMMAND_TRAILER = 'Switchyard-Command';
export const MANIFEST_FILE = 'release.json';
