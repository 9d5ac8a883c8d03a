export { checkRunbooks, DEFAULT_RUNBOOKS, findingRunbook, readRunbook, runbookProblems, type Runbook } from './read.js';
export { runbookForTerminal } from './terminal.js';
