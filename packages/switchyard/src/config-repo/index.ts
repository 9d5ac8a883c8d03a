export type {
  ConfigRepo,
  ConfigChange,
  CommitResult,
  CommitInfo,
  HistoryQuery,
  HistoryEntry,
  ServiceSnapshot,
  ReleaseManifest,
  ServiceManifest,
  Person,
} from './types.js';
export { RELEASE_TRAILER, COMMAND_TRAILER, MANIFEST_FILE } from './types.js';
export { GitConfigRepo, openConfigRepo, type GitConfigRepoOptions } from './git-repo.js';
export { serviceFiles } from './text.js';
export { Git } from './git.js';
