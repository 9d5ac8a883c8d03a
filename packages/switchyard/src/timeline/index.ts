export { impactOf, type ServiceImpact } from './impact.js';
export { byTime, cursorAfter, pageOf } from './merge.js';
export { renderPostmortem, type ContributingChange, type PostmortemInput } from './postmortem.js';
export { releaseEntries, verdictText } from './releases.js';
export { alertEntry, auditEntry, auditService, runtimeEntry, silenceEntries } from './sources.js';
export {
  TIMELINE_KINDS,
  type AlertInput,
  type AuditInput,
  type ReleaseEventInput,
  type RuntimeInput,
  type SilenceInput,
  type TimelineEntry,
  type TimelineKind,
  type TimelineWindow,
} from './types.js';
export { DEFAULT_SINCE, MAX_WINDOW_MS, pointInTime, timelineWindow } from './window.js';
