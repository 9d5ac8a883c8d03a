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

  // router: HAProxy and live traffic changes
  SWY_ROUTER_HAPROXY_MISSING: entry('unavailable', 503, EXIT.unavailable, 'HAProxy is not installed', 'Install it with `test/infra/install haproxy` (Debian: apt-get install haproxy) or set SWITCHYARD_HAPROXY_BIN to its path.'),
  SWY_ROUTER_HAPROXY_TOO_OLD: entry('unavailable', 503, EXIT.unavailable, 'HAProxy is older than 2.6', 'Install HAProxy 2.6 or newer (Debian 12 ships 2.6) or point SWITCHYARD_HAPROXY_BIN at one.'),
  SWY_ROUTER_CONFIG_REJECTED: entry('internal', 500, EXIT.internal, 'HAProxy refused the rendered configuration', 'This is a bug in Switchyard: report it with the configuration HAProxy printed.'),
  SWY_ROUTER_START_FAILED: entry('unavailable', 503, EXIT.unavailable, 'HAProxy did not start', 'Read the HAProxy output in the message; check that its ports are free.'),
  SWY_ROUTER_PORT_IN_USE: entry('conflict', 409, EXIT.conflict, 'A port Switchyard needs is already in use', 'Stop what listens there (is another `switchyard up` running?) or choose other ports in the environment file under local.'),
  SWY_ROUTER_RUNTIME_API: entry('unavailable', 503, EXIT.unavailable, 'HAProxy refused a Runtime API command', 'Check that the router is running (`switchyard status`); the change was not applied.'),
  SWY_ROUTER_SHARE_INVALID: entry('input', 400, EXIT.usage, 'The traffic share is invalid', 'Give a percentage between 0 and 100 with at most two decimals, e.g. 5 or 12.5.'),
  SWY_ROUTER_GROUP_NEVER_CANARY: entry('input', 422, EXIT.usage, 'This traffic group never sees a canary', 'Enterprise-like groups (canary: false) always stay on the stable track; change a group that has a canaryTrack.'),
  SWY_ROUTER_NO_LEGACY: entry('input', 422, EXIT.usage, 'This service has no legacy backend', 'Add legacy: { address: host:port } to the service file to migrate traffic from an old backend.'),

  // runtime: running replicas
  SWY_RUNTIME_START_FAILED: entry('unavailable', 503, EXIT.unavailable, 'A replica did not become ready', 'Read the replica log named in the message; check the command, its port ($PORT) and its readiness probe.'),
  SWY_RUNTIME_NOT_RUNNING: entry('unavailable', 503, EXIT.unavailable, 'The fleet is not running', 'Start it with `switchyard up <config-dir>` and keep that command running.'),

  // api: HTTP requests
  SWY_API_BAD_REQUEST: entry('input', 400, EXIT.usage, 'The request is invalid', 'Fix the request body or parameters as the message says; the API is described in docs/api.md.'),
  SWY_API_NOT_FOUND: entry('not-found', 404, EXIT.notFound, 'No such endpoint', 'Check the method and path against docs/api.md.'),
  SWY_API_UNREACHABLE: entry('unavailable', 503, EXIT.unavailable, 'The Switchyard API did not answer', 'Start the fleet with `switchyard up <config-dir>` (it serves the API), or pass --api with its address.'),

  // cli: usage
  SWY_CLI_USAGE: entry('input', 400, EXIT.usage, 'The command line is invalid', 'Run the command with --help to see its arguments and options.'),

  // internal
  SWY_INTERNAL_ERROR: entry('internal', 500, EXIT.internal, 'An unexpected error happened', 'This is a bug in Switchyard: please report it with the command you ran.'),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;

export function lookup(code: ErrorCode): CatalogueEntry {
  return catalogue[code];
}
