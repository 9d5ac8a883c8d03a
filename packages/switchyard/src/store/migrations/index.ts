import { initial } from './0001-initial.js';
import { tokenManagement } from './0002-token-management.js';
import { activeColumn } from './0003-active-column.js';
import { leader } from './0004-leader.js';
import { eventState } from './0005-event-state.js';
import { silences } from './0006-silences.js';
import { alertHistory } from './0007-alert-history.js';
import type { Migration } from './types.js';

/** Every migration, in order: append only, never edit one that has shipped. */
export const MIGRATIONS: readonly Migration[] = [
  initial,
  tokenManagement,
  activeColumn,
  leader,
  eventState,
  silences,
  alertHistory,
];

export type { Migration };
