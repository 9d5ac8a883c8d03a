/**
 * The one catalogue of Switchyard's errors. Every error a user can meet has a stable code,
 * a message and a hint; its HTTP status (for the API) and process exit code (for the CLI)
 * come from its kind, unless the entry says where it truly differs. docs/errors.md is
 * generated from this file (`node scripts/docs-errors.mjs` after a build); a test keeps the
 * two in step and fails on a code that nothing raises.
 */
export type ErrorKind =
  'input' | 'not-found' | 'conflict' | 'forbidden' | 'unauthenticated' | 'unavailable' | 'throttled' | 'internal';

export interface CatalogueEntry {
  readonly kind: ErrorKind;
  readonly status: number;
  readonly exit: number;
  readonly message: string;
  readonly hint: string;
}

/**
 * Every exit code of every command (sysexits-like where one fits), each with one meaning:
 * the outcomes of `check` and of a watched release have codes of their own, apart from errors.
 */
export const EXIT = {
  ok: 0,
  invalidSpec: 2,
  policyWarning: 3,
  policyError: 4,
  releaseRolledBack: 5,
  releaseFailed: 6,
  releaseTimedOut: 7,
  healthWarning: 8,
  healthCritical: 9,
  usage: 64,
  notFound: 66,
  unavailable: 69,
  internal: 70,
  cantCreate: 73,
  conflict: 75,
  forbidden: 77,
  /** 128 + SIGINT and 128 + SIGPIPE, as a shell reports them. */
  interrupted: 130,
  readerGone: 141,
} as const;

/** What each exit code tells a script; docs/errors.md and the README list them. */
export const EXIT_MEANINGS: Readonly<Record<keyof typeof EXIT, string>> = {
  ok: 'Done: for `deploy`, the release succeeded; for `rollback`, the service is back',
  invalidSpec: 'The configuration, or an object rendered from it, is invalid',
  policyWarning: '`check` found warnings (and `--fail-on warning`, the default)',
  policyError: '`check` found errors',
  releaseRolledBack: 'The release `deploy` followed was rolled back or aborted: users are back on what ran before',
  releaseFailed:
    'The release `deploy` or `rollback` followed failed: a step of its revert failed, and a person must look',
  releaseTimedOut:
    'The release `deploy` or `status --watch` followed had not ended within `--timeout`; it goes on, nothing was undone',
  healthWarning:
    '`health` found warnings and nothing critical: the environment serves, one more failure away from hurting',
  healthCritical: '`health` found a critical finding: users are hurt now or a unit serves nothing',
  usage: 'The command line, or a request, is invalid',
  notFound: 'What was named does not exist',
  unavailable:
    'Something Switchyard needs did not answer (the API, the database, HAProxy, git, a cluster), or refuses for a while',
  internal: 'A bug in Switchyard',
  cantCreate: 'A file or directory could not be written',
  conflict: 'Something else holds or changed what was asked for (a release in progress, a lock, a port)',
  forbidden: 'The token or the credentials may not do that',
  interrupted: '`up` was interrupted twice (a second Ctrl-C) and stopped at once, without draining',
  readerGone: 'The reader of the output went away (`switchyard status | head -1`); the command stopped quietly',
};

/** The HTTP status and exit code of each kind: an entry overrides them only where it truly differs. */
export const KIND_DEFAULTS: Readonly<Record<ErrorKind, Pick<CatalogueEntry, 'status' | 'exit'>>> = {
  input: { status: 400, exit: EXIT.usage },
  'not-found': { status: 404, exit: EXIT.notFound },
  conflict: { status: 409, exit: EXIT.conflict },
  forbidden: { status: 403, exit: EXIT.forbidden },
  unauthenticated: { status: 401, exit: EXIT.forbidden },
  unavailable: { status: 503, exit: EXIT.unavailable },
  throttled: { status: 429, exit: EXIT.unavailable },
  internal: { status: 500, exit: EXIT.internal },
};

/** An input that is well formed but cannot be done as asked. */
const UNPROCESSABLE = { status: 422 } as const;
/** A problem in the configuration files rather than on the command line. */
const IN_SPEC = { exit: EXIT.invalidSpec } as const;
/** Something on this machine could not be written. */
const CANT_WRITE = { exit: EXIT.cantCreate } as const;

const entry = (
  kind: ErrorKind,
  message: string,
  hint: string,
  differs: Partial<Pick<CatalogueEntry, 'status' | 'exit'>> = {},
): CatalogueEntry => ({
  kind,
  ...KIND_DEFAULTS[kind],
  ...differs,
  message,
  hint,
});

export const catalogue = {
  // spec: loading and validating service and environment files
  SWY_SPEC_INVALID: entry(
    'input',
    'The configuration is invalid',
    'Fix each problem listed at the file and path it names, then run `switchyard validate` again.',
    IN_SPEC,
  ),
  SWY_SPEC_DIR_NOT_FOUND: entry(
    'not-found',
    'The configuration directory does not exist',
    'Pass the directory that holds services/ and environments/, e.g. `switchyard validate examples/video-platform`.',
  ),
  SWY_SPEC_NO_SERVICES: entry(
    'input',
    'The configuration directory holds no service files',
    'Add one YAML file per service under services/ (see examples/video-platform/services).',
    IN_SPEC,
  ),
  SWY_SPEC_ENV_NOT_FOUND: entry(
    'not-found',
    'The environment does not exist',
    'Use one of the environments defined under environments/, or add environments/<name>.yaml.',
  ),
  SWY_SPEC_SERVICE_NOT_FOUND: entry(
    'not-found',
    'The service does not exist',
    'Use the name of a service defined under services/ (`switchyard validate <dir>` lists them).',
  ),
  SWY_SPEC_TRACK_NOT_FOUND: entry(
    'not-found',
    'The track does not exist on this service',
    'Use one of the tracks listed in the service file under tracks.',
  ),
  SWY_SPEC_GROUP_NOT_FOUND: entry(
    'not-found',
    'The traffic group does not exist on this service',
    'Use one of the groups listed in the service file under traffic.groups.',
  ),
  SWY_SPEC_FILE_TOO_LARGE: entry(
    'input',
    'A configuration file is larger than the limit',
    'A service file is a few kB: look for generated or pasted content (a huge env map, a certificate) and move it out of the file, e.g. into a secret or the image.',
    IN_SPEC,
  ),
  SWY_SPEC_TOO_LARGE: entry(
    'input',
    'The configuration files together are larger than the limit',
    'Remove generated content from the files, or split the fleet into several configuration directories.',
    IN_SPEC,
  ),

  // render: writing rendered objects
  SWY_RENDER_OUTPUT: entry(
    'unavailable',
    'The rendered objects could not be written',
    'Check that the output directory is writable and that its parent exists.',
    { status: 500, ...CANT_WRITE },
  ),

  // policy: rules run on rendered objects
  SWY_POLICY_UNKNOWN_RULE: entry(
    'input',
    'The policy rule does not exist',
    'Run `switchyard check --list-rules` to see every rule id.',
  ),

  // router: HAProxy and live traffic changes
  SWY_ROUTER_HAPROXY_MISSING: entry(
    'unavailable',
    'HAProxy is not installed',
    'Install it with `test/infra/install haproxy` (Debian: apt-get install haproxy) or set SWITCHYARD_HAPROXY_BIN to its path.',
  ),
  SWY_ROUTER_HAPROXY_TOO_OLD: entry(
    'unavailable',
    'HAProxy is older than 2.6',
    'Install HAProxy 2.6 or newer (Debian 12 ships 2.6) or point SWITCHYARD_HAPROXY_BIN at one.',
  ),
  SWY_ROUTER_CONFIG_REJECTED: entry(
    'internal',
    'HAProxy refused the rendered configuration',
    'This is a bug in Switchyard: report it with the configuration HAProxy printed.',
  ),
  SWY_ROUTER_START_FAILED: entry(
    'unavailable',
    'HAProxy did not start',
    'Read the HAProxy output in the message; check that its ports are free.',
  ),
  SWY_ROUTER_PORT_IN_USE: entry(
    'conflict',
    'A port Switchyard needs is already in use',
    'Stop what listens there (is another `switchyard up` running?) or choose other ports in the environment file under local.',
  ),
  SWY_ROUTER_RUNTIME_API: entry(
    'unavailable',
    'HAProxy refused a Runtime API command',
    'Check that the router is running (`switchyard status`); the change was not applied.',
  ),
  SWY_ROUTER_SHARE_INVALID: entry(
    'input',
    'The traffic share is invalid',
    'Give a percentage between 0 and 100 with at most two decimals, e.g. 5 or 12.5.',
  ),
  SWY_ROUTER_GROUP_NEVER_CANARY: entry(
    'input',
    'This traffic group never sees a canary',
    'Enterprise-like groups (canary: false) always stay on the stable track; change a group that has a canaryTrack.',
    UNPROCESSABLE,
  ),
  SWY_ROUTER_NO_LEGACY: entry(
    'input',
    'This service has no legacy backend',
    'Add legacy: { address: host:port } to the service file to migrate traffic from an old backend.',
    UNPROCESSABLE,
  ),

  // runtime: running replicas
  SWY_RUNTIME_START_FAILED: entry(
    'unavailable',
    'A replica did not become ready',
    'Read the replica log named in the message; check the command, its port ($PORT) and its readiness probe.',
  ),

  // kubernetes: the Kubernetes runtime (server-side apply, rollouts, cluster identity)
  SWY_KUBE_CONFIG_INVALID: entry(
    'input',
    'The kubeconfig could not be used',
    'Check the file named in the message (KUBECONFIG, --kubeconfig or ~/.kube/config); `kubectl config view` shows what it holds.',
  ),
  SWY_KUBE_SERVICE_ACCOUNT_INVALID: entry(
    'input',
    "The pod's service account could not be used",
    'In a pod without a kubeconfig Switchyard uses its service account: mount its token (automountServiceAccountToken: true, the chart does), or give a kubeconfig with KUBECONFIG.',
  ),
  SWY_KUBE_CONTEXT_NOT_FOUND: entry(
    'not-found',
    'The kubeconfig has no such context',
    'Use a context the message lists, pass --context, or set cluster.context in the environment file.',
  ),
  SWY_KUBE_NOT_KUBERNETES: entry(
    'input',
    'The environment does not run on Kubernetes',
    'Set runtime: kubernetes and cluster: { context, namespace } in the environment file, or pass --context.',
  ),
  SWY_KUBE_UNREACHABLE: entry(
    'unavailable',
    'The Kubernetes API server did not answer',
    'Check that the cluster runs and that the context points at it (`kubectl --context <ctx> get --raw /readyz`); for the local sandbox run `switchyard sandbox up`.',
  ),
  SWY_KUBE_FORBIDDEN: entry(
    'forbidden',
    'The Kubernetes API server refused the credentials or the request',
    "Give the context's user the rights the message names (RBAC), or renew its credentials.",
  ),
  SWY_KUBE_IDENTITY_UNREADABLE: entry(
    'forbidden',
    'Switchyard cannot read which cluster the context reaches',
    "Allow the context's user to get namespace kube-system (its UID is the cluster's identity); nothing was written.",
  ),
  SWY_KUBE_WRONG_CLUSTER: entry(
    'conflict',
    "The context reaches another environment's cluster",
    "Point the environment's context at its own cluster (the message names both); pin it with cluster.identity in the environment file. Nothing was written.",
  ),
  SWY_KUBE_CRD_MISSING: entry(
    'unavailable',
    'The cluster does not serve a kind Switchyard renders',
    'Install the CustomResourceDefinition the message names (KEDA for ScaledObject), or turn the option that renders it off; nothing was written.',
  ),
  SWY_KUBE_REJECTED: entry(
    'input',
    'The Kubernetes API server rejected an object',
    'Fix the field the message names in the service file; run `switchyard apply --dry-run` to validate without writing.',
    { ...UNPROCESSABLE, ...IN_SPEC },
  ),
  SWY_KUBE_CONFLICT: entry(
    'conflict',
    'Another field manager owns a field Switchyard sets',
    "Remove the other manager's change (kubectl edit/apply) or let Switchyard own the field; the message names both.",
  ),
  SWY_KUBE_API_ERROR: entry(
    'unavailable',
    'The Kubernetes API server answered with an error',
    "Read the API server's message; retry once the cluster is healthy (applies are idempotent).",
    { status: 502 },
  ),
  SWY_KUBE_ROLLOUT_FAILED: entry(
    'unavailable',
    'A rollout cannot complete',
    'Fix what the message names: a pod no node can hold (lower its requests or add nodes), an image that cannot be pulled, a crashing container; then apply again.',
  ),
  SWY_KUBE_ROLLOUT_TIMEOUT: entry(
    'unavailable',
    'A rollout did not complete in time',
    'Read the state of each Deployment in the message (pods not ready: check the readiness probe); raise --timeout if the rollout is only slow.',
    { status: 504 },
  ),
  SWY_KUBE_SANDBOX_UNAVAILABLE: entry(
    'unavailable',
    'The local sandbox cluster could not be managed',
    'Run switchyard from a checkout of the Switchyard repository (the sandbox scripts live in test/k8s) and read their output in the message.',
  ),

  // release: staged rollouts
  SWY_RELEASE_CONFLICT: entry(
    'conflict',
    'Another release of this service is in progress',
    'Wait for it to finish, or promote, abort or roll it back first (`switchyard status`).',
  ),
  SWY_RELEASE_NOT_FOUND: entry(
    'not-found',
    'The release does not exist',
    'List releases with `switchyard status` or `switchyard history <service>`.',
  ),
  SWY_RELEASE_PLAN_NOT_FOUND: entry(
    'not-found',
    'The release plan does not exist',
    'Use default, migration (services with a legacy backend) or a plan under release.plans in the service file.',
  ),
  SWY_RELEASE_ACTION_REFUSED: entry(
    'conflict',
    'The release cannot do that now',
    'Check its status and phase with `switchyard status`; the message says what is possible.',
  ),
  SWY_RELEASE_WAIT_TIMEOUT: entry(
    'unavailable',
    'The release has not ended within the time given',
    'The release goes on: follow it with `switchyard status <service> --watch`, approve a stage that waits with `switchyard approve <service>`, or stop it with `switchyard abort <service>`.',
    { status: 504, exit: EXIT.releaseTimedOut },
  ),
  SWY_RELEASE_VERSION_UNKNOWN: entry(
    'not-found',
    'The version does not exist',
    'Build or publish the version first; the message says where Switchyard looked.',
  ),
  SWY_RELEASE_NOTHING_TO_DO: entry(
    'conflict',
    'The service already runs this version everywhere',
    'Deploy another version, or use --plan migration to move traffic off a legacy backend.',
  ),
  SWY_RELEASE_FROZEN: entry(
    'forbidden',
    'This change is frozen in this environment now',
    'Wait until the freeze window ends, or (admin) override with --override-freeze and a reason; narrowing a canary, scaling and rolling back to a released version stay possible.',
  ),
  SWY_RELEASE_NEVER_RELEASED: entry(
    'input',
    'A rollback goes only to a version released in this environment',
    'Pick a version the message lists, or release the version you mean with `switchyard deploy` (its stages and gates apply).',
    UNPROCESSABLE,
  ),
  SWY_RELEASE_PLAN_RESERVED: entry(
    'input',
    'The rollback plan is not a deploy plan',
    'Go back to a released version with `switchyard rollback <service> --to <version>`; deploy new versions with their own plan.',
  ),

  // api: HTTP requests
  SWY_API_BAD_REQUEST: entry(
    'input',
    'The request is invalid',
    'Fix the request body or parameters as the message says; every route and its fields are in the OpenAPI document at /v1/openapi.json.',
  ),
  SWY_API_NOT_FOUND: entry(
    'not-found',
    'No such endpoint',
    'Check the method and path against the OpenAPI document at /v1/openapi.json.',
  ),
  SWY_API_UNAUTHENTICATED: entry(
    'unauthenticated',
    'The request has no valid token',
    'Send Authorization: Bearer <token> (the CLI reads SWITCHYARD_TOKEN or the credentials `switchyard up` saved); ask an admin for a token.',
  ),
  SWY_API_FORBIDDEN: entry(
    'forbidden',
    'The token may not do that here',
    'Ask an admin for the role the message names in that environment.',
  ),
  SWY_API_ENVIRONMENT_REQUIRED: entry(
    'input',
    'The server serves several environments and the request names none',
    'Name the environment: --env <name> on the CLI (or SWITCHYARD_ENV), the X-Switchyard-Environment header, or ?env= in a URL.',
  ),
  SWY_API_URI_TOO_LONG: entry(
    'input',
    'A part of the request path is too long',
    'Service, group and track names are short DNS labels and release ids are UUIDs; check the path.',
    { status: 414 },
  ),
  SWY_API_BODY_TOO_LARGE: entry(
    'input',
    'The request body is too large',
    'Send only the fields the route takes; reasons are one line of at most 500 characters.',
    { status: 413 },
  ),
  SWY_API_TOO_MANY_FAILURES: entry(
    'throttled',
    'Too many failed authentications from this address',
    'Wait for the time the message says, then use a valid token (`switchyard token list` shows which exist).',
  ),
  SWY_API_TOO_MANY_STREAMS: entry(
    'throttled',
    'This token holds as many event streams as it may',
    'Close streams you no longer read (each `switchyard deploy` follows one until it ends), or use another token for dashboards.',
  ),
  SWY_API_TOKEN_EXPIRED: entry(
    'unauthenticated',
    'The token has expired',
    'Ask an admin for a new token (`switchyard token create`); expired tokens stay listed until they are revoked.',
  ),
  SWY_API_NO_LEADER: entry(
    'unavailable',
    'No replica leads: this standby has no leader to hand the change to',
    'Retry in a few seconds: a standby takes over within its retry interval once the leader is gone. `switchyard status` (or GET /v1/leader) on any replica shows which one leads.',
  ),
  SWY_API_UNREACHABLE: entry(
    'unavailable',
    'The Switchyard API did not answer',
    'Start the fleet with `switchyard up <config-dir>` (it serves the API), or pass --api with its address.',
  ),

  // cli: usage
  SWY_CLI_USAGE: entry(
    'input',
    'The command line is invalid',
    'Run the command with --help to see its arguments and options.',
  ),

  // store: releases, audit, tokens and idempotency keys in the embedded store or PostgreSQL
  SWY_STORE_URL_INVALID: entry(
    'input',
    'The store location is invalid',
    'Use postgres://user@host:port/database for PostgreSQL, or a directory path (or file:///path) for the embedded store.',
  ),
  SWY_STORE_UNAVAILABLE: entry(
    'unavailable',
    'The database did not answer',
    'Check that PostgreSQL runs and accepts connections at the host, port, user and database named in the message, then retry.',
  ),
  SWY_STORE_OPEN_FAILED: entry(
    'unavailable',
    'The embedded store could not be opened',
    'Check that the directory named in the message is writable and on a local disk, and that it holds a Switchyard store (or nothing).',
    CANT_WRITE,
  ),
  SWY_STORE_LOCKED: entry(
    'conflict',
    'The embedded store is in use by another process',
    'Stop the process named in the message (another Switchyard server?), or use PostgreSQL to share state between several processes.',
  ),
  SWY_STORE_MIGRATION_FAILED: entry(
    'internal',
    'A database migration failed',
    'Nothing of the failed migration was applied and earlier ones stay applied; report the message as a bug.',
  ),
  SWY_STORE_SCHEMA_TOO_NEW: entry(
    'conflict',
    'The database was migrated by a newer Switchyard',
    'Run a Switchyard at least as new as the one that migrated this database; migrations only go forward.',
  ),
  SWY_STORE_QUERY_FAILED: entry(
    'internal',
    'A database query failed',
    'This is a bug in Switchyard or a damaged database: report it with the message.',
  ),
  SWY_STORE_RELEASE_STALE: entry(
    'conflict',
    'The release changed since it was read',
    'Another process updated this release at the same time: read it again and retry.',
  ),
  SWY_STORE_COMMAND_NOT_FOUND: entry(
    'not-found',
    'The release command does not exist',
    'This is a bug in the release engine (it settled a command it never recorded): report it with the message.',
  ),
  SWY_STORE_TOKEN_INVALID: entry(
    'input',
    'The API token definition is invalid',
    'Give the token a name (letters, digits, . _ @ -), a role per environment (or *) among viewer, deployer, approver, admin, and an expiry in the future (12h, 30d, 2w or a date); the message says which is wrong.',
  ),
  SWY_STORE_TOKEN_NAME_TAKEN: entry(
    'conflict',
    'An active API token already has this name',
    'Choose another name, or revoke the old token first (`switchyard token revoke <name>`): a revoked token frees its name.',
  ),
  SWY_STORE_TOKEN_NOT_FOUND: entry(
    'not-found',
    'The API token does not exist',
    'Use an id or name that `switchyard token list` shows; revoked tokens stay listed by id, not by name.',
  ),
  SWY_STORE_IDEMPOTENCY_MISMATCH: entry(
    'input',
    'The idempotency key was already used for a different request',
    'Send a new request with a new Idempotency-Key; reuse a key only to retry exactly the same request.',
    UNPROCESSABLE,
  ),
  SWY_STORE_IDEMPOTENCY_IN_PROGRESS: entry(
    'conflict',
    'A request with this idempotency key is still being processed',
    'Wait a moment, then retry with the same key to receive the response of the first request.',
  ),

  // server: the data directory of a server on one machine
  SWY_SERVER_ADMIN_TOKEN_LOST: entry(
    'forbidden',
    "The data directory's admin token is missing or no longer valid",
    'Stop Switchyard if it runs, then run `switchyard token recover <config-dir> --env <env> --data-dir <dir>` on this machine (the message of `up` gives the exact command).',
  ),
  SWY_SERVER_DATA_DIR_NOT_FOUND: entry(
    'not-found',
    'The data directory holds no store',
    'Pass the --data-dir (and --store) that `switchyard up` printed; the first `switchyard up` creates the admin token itself.',
  ),
  SWY_SERVER_DATA_DIR_UNSAFE: entry(
    'unavailable',
    'The data directory or a secret file could not be made private',
    'Switchyard keeps tokens and state there: make it owned by the user that runs Switchyard (chown -R), or pass another --data-dir.',
    CANT_WRITE,
  ),

  // config repo: every desired-state change as a git commit
  SWY_REPO_GIT_MISSING: entry(
    'unavailable',
    'git is not installed',
    'Install git (`test/infra/install git`; Debian: apt-get install git) or set SWITCHYARD_GIT_BIN to its path.',
  ),
  SWY_REPO_GIT_FAILED: entry(
    'unavailable',
    'A git command failed in the config repository',
    "Read git's message; check the repository directory it names (permissions, free space, a damaged .git).",
  ),
  SWY_REPO_LOCKED: entry(
    'conflict',
    'Another git process is working in the config repository',
    'Wait for it to finish and retry; if no git process runs there, remove the index.lock file named in the message.',
  ),
  SWY_REPO_REMOTE_FAILED: entry(
    'unavailable',
    'The config repository remote could not be reached',
    'Check the remote URL and that git can reach it without a prompt (credentials, SSH keys); changes made meanwhile are committed locally and pushed with the next one.',
  ),
  SWY_REPO_PUSH_REJECTED: entry(
    'conflict',
    'The config repository remote refused the push',
    'Someone pushed to the remote first or the branch is protected; the commit is kept locally and pushed with the next change, or fix the remote and retry.',
  ),
  SWY_REPO_DIVERGED: entry(
    'conflict',
    'The config repository and its remote changed the same files',
    'Someone edited files Switchyard manages directly on the remote: reconcile them in a clone of the remote, push, then retry.',
  ),
  SWY_REPO_NOT_FOUND: entry(
    'not-found',
    'The commit or service does not exist in the config repository',
    'Use a commit sha that `switchyard history <service>` lists for that environment.',
  ),
  SWY_REPO_MESSAGE_INVALID: entry(
    'input',
    'A commit message would carry forged trailers',
    'Keep reasons to one line of text; Switchyard adds its own trailers (release, command) apart from the text.',
  ),
  SWY_REPO_PATH_INVALID: entry(
    'input',
    'A name or file path for the config repository is invalid',
    'Environment and service names are simple names (letters, digits, - _ .) and file paths stay inside the service directory.',
  ),

  // the configuration repository the server follows (GitOps)
  SWY_CONFIG_SOURCE_FAILED: entry(
    'unavailable',
    'The configuration repository the server follows could not be cloned or fetched',
    'Check the git URL, the branch and that git can reach it without a prompt (credentials, SSH keys); the server keeps serving the commit it has and tries again at the next poll.',
  ),
  SWY_CONFIG_CONFLICT: entry(
    'conflict',
    'A commit changes what the server owns for a service (its versions, replicas or shares) to something else than what runs',
    'Make the change through Switchyard (`switchyard deploy`, `traffic share`, `track`), or set the field back to the value the server runs (or what the served commit says) and push again.',
  ),
  SWY_CONFIG_ENVIRONMENT_CHANGED: entry(
    'conflict',
    "A commit changes an environment's own settings, which a running server does not take",
    'Restart the server: it starts from the newest commit of the branch. Services and workers of the same commit are taken live once the environment file is as served.',
  ),
  SWY_CONFIG_WEBHOOK_DISABLED: entry(
    'not-found',
    'This server takes no configuration webhook',
    'Serve a git URL and set SWITCHYARD_WEBHOOK_SECRET on the server to the secret the git host signs its webhooks with.',
  ),

  // release adapters: gate measurements and notifications
  SWY_METRICS_QUERY_FAILED: entry(
    'unavailable',
    'A gate query to Prometheus failed',
    'Check release.prometheus.url and the query in the message (run it in the Prometheus UI); the gate reads no value until it answers.',
    { status: 502 },
  ),
  SWY_ALERTS_SILENCE_INVALID: entry(
    'input',
    'The silence is invalid',
    'Give a reason, at least one service or check to match, and an expiry in the future within 90 days (30m, 4h, 2d or an RFC 3339 time).',
  ),
  SWY_ALERTS_SILENCE_NOT_FOUND: entry(
    'not-found',
    'The silence does not exist',
    'Use an id that `switchyard silence list --all` shows for this environment.',
  ),
  SWY_RUNBOOK_NOT_FOUND: entry(
    'not-found',
    'The runbook does not exist',
    "Name a health check (docs/health.md) or one of the environment's own alert rules; for a rule of your own, add runbooks/<rule>.md to the configuration repository.",
  ),
  SWY_TIMELINE_QUERY_INVALID: entry(
    'input',
    'The timeline query is invalid',
    'Give since and until as a duration back from now (30m, 2h, 7d) or an RFC 3339 time, since before until and at most 90 days apart; page on with the `next` cursor the previous page answered.',
  ),
  SWY_NOTIFY_FAILED: entry(
    'unavailable',
    'A notification could not be delivered',
    'Check the webhook address (SWITCHYARD_WEBHOOK_URL) and that it accepts a JSON POST; the release goes on without it.',
    { status: 502 },
  ),

  // internal
  SWY_INTERNAL_ERROR: entry(
    'internal',
    'An unexpected error happened',
    'This is a bug in Switchyard: please report it with the command you ran.',
  ),
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof catalogue;
