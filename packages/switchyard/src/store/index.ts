export type { SqlClient, Store, Engine, Row } from './sql.js';
export { isUniqueViolation } from './sql.js';
export { openStore, parseStoreLocation, type OpenStoreOptions, type StoreLocation } from './open.js';
export { migrate, schemaVersions, type MigrationReport } from './migrate.js';
export { MIGRATIONS, type Migration } from './migrations/index.js';
export {
  createRelease,
  getRelease,
  getReleases,
  requireRelease,
  releaseNotFound,
  findActiveRelease,
  listActiveReleases,
  listReleases,
  type ReleaseRecord,
  type NewReleaseRecord,
  type ReleaseFilter,
} from './releases.js';
export {
  recordTransition,
  appendReleaseEvent,
  listReleaseEvents,
  listEventsAfter,
  latestEventSeq,
  listPendingCommands,
  listCommands,
  settleCommand,
  type TransitionInput,
  type TransitionRecord,
  type SettleInput,
  type ReleaseEventRecord,
  type ReleaseCommandRecord,
  type CommandStatus,
} from './transitions.js';
export { StoreReleaseRepository } from './release-repository.js';
export { putDesiredState, getDesiredState, listDesiredState, type DesiredStateRecord } from './desired-state.js';
export {
  createToken,
  findToken,
  findTokenBySecret,
  inspectSecret,
  listTokens,
  revokeToken,
  hashSecret,
  ROLES,
  TOKEN_NAME,
  GRANT_ENVIRONMENT,
  MAX_GRANTS,
  MAX_DESCRIPTION,
  type Role,
  type RoleGrants,
  type ApiToken,
  type NewToken,
} from './tokens.js';
export { appendAudit, listAudit, type AuditEntry, type AuditRecord, type AuditFilter } from './audit.js';
export {
  claimIdempotencyKey,
  completeIdempotencyKey,
  abandonIdempotencyKey,
  pruneIdempotencyKeys,
  requestFingerprint,
  type IdempotentRequest,
  type Claim,
  type ClaimOptions,
} from './idempotency.js';
export { leaderLock, readLeader, recordLeader, type LeaderLock, type LeaderRecord } from './leader.js';
export {
  createSilence,
  expireSilence,
  findSilence,
  listSilences,
  type NewSilence,
  type SilenceRecord,
} from './silences.js';
export {
  listAlertHistory,
  listWaitingNotifications,
  loadAlertState,
  markAlertDelivered,
  markAlertDropped,
  recordAlertStep,
  StoreAlertJournal,
  type AlertHistoryFilter,
  type AlertNotificationRecord,
} from './alert-history.js';
export {
  listRuntimeEvents,
  recordRuntimeEvent,
  type RuntimeEventEntry,
  type RuntimeEventRecord,
} from './runtime-events.js';
export {
  listAuditInWindow,
  listReleaseEventsInWindow,
  listSilencesInWindow,
  type StoreWindow,
  type WindowReleaseEvent,
} from './timeline.js';
