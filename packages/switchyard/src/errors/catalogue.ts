/**
 * The one catalogue of Switchyard's errors. Every error a user can meet has a stable code,
 * an HTTP status (for the API), a process exit code (for the CLI), a message and a hint.
 * docs/errors.md has one anchor per code; a test keeps the two in step.
 */
export type ErrorKind =
  | 'input'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'unauthenticated'
  | 'unavailable'
  | 'internal';

export interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly exit: number;
  readonly message: string;
  readonly hint: string;
}

/** Exit codes shared by every command (sysexits-like where one fits). */
export const EXIT = {
  ok: 0,
  policyWarning: 3,
  policyError: 4,
  invalidSpec: 2,
  usage: 64,
  notFound: 66,
  unavailable: 69,
  internal: 70,
  cantCreate: 73,
  conflict: 75,
  forbidden: 77,
} as const;

const entry = (
  kind: ErrorKind,
  status: number,
  exit: number,
  message: string,
  hint: string,
): CatalogueEntry => ({ kind, status, exit, message, hint });

export const catalogue = {
  // spec: loading and validating service and environment files
  SWY_SPEC_INVALID: entry('input', 400, EXIT.invalidSpec, 'The configuration is invalid', 'Fix each problem listed at the file and path it names, then run `switchyard validate` again.'),
  SWY_SPEC_DIR_NOT_FOUND: entry('not-found', 404, EXIT.notFound, 'The configuration directory does not exist', 'Pass the directory that holds services/ and environments/, e.g. `switchyard validate examples/video-platform`.'),
  SWY_SPEC_NO_SERVICES: entry('input', 400, EXIT.invalidSpec, 'The configuration directory holds no service files', 'Add one YAML file per service under services/ (see examples/video-platform/services).'),
  SWY_SPEC_ENV_NOT_FOUND: entry('not-found', 404, EXIT.notFound, 'The environment does not exist', 'Use one of the environments defined under environments/, or add environments/<name>.yaml.'),
  SWY_SPEC_SERVICE_NOT_FOUND: entry('not-found', 404, EXIT.notFound, 'The service does not exist', 'Use the name of a service defined under services/ (`switchyard validate <dir>` lists them).'),
  SWY_SPEC_TRACK_NOT_FOUND: entry('not-found', 404, EXIT.notFound, 'The track does not exist on this service', 'Use one of the tracks listed in the service file under tracks.'),
  SWY_SPEC_GROUP_NOT_FOUND: entry('not-found', 404, EXIT.notFound, 'The traffic group does not exist on this service', 'Use one of the groups listed in the service file under traffic.groups.'),

  // render: writing rendered objects
  SWY_RENDER_OUTPUT: entry('unavailable', 500, EXIT.cantCreate, 'The rendered objects could not be written', 'Check that the output directory is writable and that its parent exists.'),

  // policy: rules run on rendered objects
  SWY_POLICY_ERRORS: entry('input', 422, EXIT.policyError, 'Policy checks found errors', 'Fix each finding (the message says how) or exempt the object with a reason under policy.exempt in the service file.'),
  SWY_POLICY_WARNINGS: entry('input', 422, EXIT.policyWarning, 'Policy checks found warnings', 'Fix each finding, exempt it with a reason, or run with --fail-on error to accept warnings.'),
  SWY_POLICY_UNKNOWN_RULE: entry('input', 400, EXIT.usage, 'The policy rule does not exist', 'Run `switchyard check --list-rules` to see every rule id.'),

  // cli: usage
  SWY_CLI_USAGE: entry('input', 400, EXIT.usage, 'The command line is invalid', 'Run the command with --help to see its arguments and options.'),

  // internal
  SWY_INTERNAL_ERROR: entry('internal', 500, EXIT.internal, 'An unexpected error happened', 'This is a bug in Switchyard: please report it with the command you ran.'),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

export function lookup(code: ErrorCode): CatalogueEntry {
  return catalogue[code];
}
