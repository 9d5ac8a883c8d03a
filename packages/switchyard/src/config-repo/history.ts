import { SwitchyardError } from '../errors/index.js';
import { readBlobs } from './blobs.js';
import type { Git } from './git.js';
import { LOG_ARGS, parseLog, parseManifest, type LoggedCommit } from './text.js';
import {
  MANIFEST_FILE,
  RELEASE_TRAILER,
  type CommitInfo,
  type HistoryEntry,
  type HistoryQuery,
  type ServiceManifest,
  type ServiceSnapshot,
} from './types.js';

/** Reads of the repository's past: commits by trailer, a service's history, its files at a commit. Never writes. */
export class History {
  constructor(private readonly git: Git) {}

  private async log(args: readonly string[]): Promise<LoggedCommit[]> {
    if (!(await this.git.head())) return [];
    return parseLog((await this.git.run(['log', ...LOG_ARGS, ...args])).stdout);
  }

  async findByTrailer(key: string, value: string): Promise<CommitInfo | undefined> {
    const candidates = await this.log(['--fixed-strings', `--grep=${key}: ${value}`]);
    const found = candidates.find((c) => c.trailers[key] === value);
    if (!found) return undefined;
    const { files: _files, ...info } = found;
    return info;
  }

  async of(query: HistoryQuery): Promise<HistoryEntry[]> {
    const pathspec =
      query.environment !== undefined ? `${query.environment}/${query.service}` : `:(glob)*/${query.service}/**`;
    const commits = await this.log([`--max-count=${query.limit ?? 50}`, '--', pathspec]);
    const entries = commits.map((c) => {
      const environment =
        query.environment ?? c.files.map((f) => f.split('/')).find((p) => p[1] === query.service)?.[0] ?? '';
      return { commit: c, environment };
    });
    const manifests = await readBlobs(
      this.git,
      entries.map((e) => `${e.commit.sha}:${e.environment}/${query.service}/${MANIFEST_FILE}`),
    );
    return entries.map(({ commit, environment }, i) => {
      const { files: _files, ...info } = commit;
      return {
        ...info,
        environment,
        releaseId: commit.trailers[RELEASE_TRAILER] ?? null,
        manifest: parseManifest(manifests[i]),
      };
    });
  }

  async readAt(sha: string, environment: string, service: string): Promise<ServiceSnapshot> {
    const notFound = (why: string) =>
      new SwitchyardError('SWY_REPO_NOT_FOUND', {
        message: `${why} in the config repository ${this.git.dir}`,
        details: { sha, environment, service },
      });
    if (!/^[0-9a-f]{4,64}$/i.test(sha)) throw notFound(`${JSON.stringify(sha)} is not a commit sha`);
    const resolved = await this.git.run(['rev-parse', '--verify', '--quiet', `${sha}^{commit}`], { ok: [1, 128] });
    if (resolved.code !== 0) throw notFound(`There is no commit ${sha}`);
    const commit = resolved.stdout.trim();
    const area = `${environment}/${service}`;
    const listed = await this.git.run(['ls-tree', '-r', '--name-only', '-z', commit, '--', `${area}/`]);
    const paths = listed.stdout.split('\0').filter(Boolean);
    if (paths.length === 0) throw notFound(`Commit ${commit.slice(0, 12)} has no ${service} in ${environment}`);
    const contents = await readBlobs(
      this.git,
      paths.map((p) => `${commit}:${p}`),
    );
    const files = new Map<string, string>();
    let manifest: ServiceManifest | null = null;
    paths.forEach((p, i) => {
      const name = p.slice(area.length + 1);
      if (name === MANIFEST_FILE) manifest = parseManifest(contents[i]);
      else files.set(name, contents[i] ?? '');
    });
    return { sha: commit, environment, service, files, manifest };
  }
}
