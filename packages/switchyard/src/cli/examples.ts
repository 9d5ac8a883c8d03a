import type { Command } from 'commander';

/** A line of an example: what it does (`# …`), then the command line. */
type Example = readonly [what: string, line: string];

const EX = 'examples/video-platform';

/**
 * The Examples section of every command's help, by command path, as kubectl shows them. A test
 * walks the command tree and fails for a command without one.
 */
export const EXAMPLES: Readonly<Record<string, readonly Example[]>> = {
  '': [
    ['Run the example fleet on this machine', `switchyard up ${EX}`],
    ['Release a version and follow it', 'switchyard deploy catalog-api 1.5.0'],
  ],
  validate: [
    ['Check every environment', `switchyard validate ${EX}`],
    ['Check one environment, for a program', `switchyard validate ${EX} --env staging -o json`],
  ],
  render: [
    ['Print the objects of production as YAML', `switchyard render ${EX} --env production`],
    ['One service, as a JSON List', `switchyard render ${EX} --env production -s catalog-api -o json`],
    [
      'Write one file per object under out/production/<service>/',
      `switchyard render ${EX} --env production --out-dir out`,
    ],
  ],
  check: [
    ['Run every policy rule on every environment', `switchyard check ${EX}`],
    [
      'SARIF for GitHub code scanning, failing on errors only',
      `switchyard check ${EX} -o sarif --fail-on error > check.sarif`,
    ],
    ['List the rules', 'switchyard check --list-rules'],
  ],
  schedule: [
    ['The floor now and the windows of the next week', `switchyard schedule ${EX} catalog-api -e production`],
    [
      'Ahead of a match night, for a program',
      `switchyard schedule ${EX} catalog-api -e production --at 2026-06-14T18:00:00Z -o json`,
    ],
  ],
  schema: [
    ['The JSON Schema of service and worker files, for an editor', 'switchyard schema > unit.schema.json'],
    ['The schema of environment files, as YAML', 'switchyard schema --environment -o yaml'],
  ],
  up: [
    ['Run the first local environment of the example fleet', `switchyard up ${EX}`],
    [
      'Run the sandbox environment with its state in a directory of your choice',
      `switchyard up ${EX} --env sandbox --data-dir /tmp/yard`,
    ],
  ],
  server: [
    ['Serve the staging environment from a directory', `switchyard server ${EX} --env staging`],
    [
      'Follow a git repository, checking it every minute',
      'switchyard server https://git.example.com/platform/fleet.git --path fleet --poll 1m',
    ],
  ],
  traffic: [
    ["Send 10% of the free group's users to its canary track", 'switchyard traffic share catalog-api free 10'],
    ['Send a quarter of the traffic to the legacy backend', 'switchyard traffic legacy catalog-api 25'],
  ],
  'traffic share': [
    ["Send 10% of the free group's users to its canary track", 'switchyard traffic share catalog-api free 10'],
    [
      'Take every paid user off the canary, saying why',
      'switchyard traffic share catalog-api paid 0 --reason "errors on checkout"',
    ],
  ],
  'traffic legacy': [
    ['Send a quarter of all traffic to the legacy backend', 'switchyard traffic legacy catalog-api 25'],
    ['Leave the legacy backend', 'switchyard traffic legacy catalog-api 0'],
  ],
  track: [
    ['Roll the free track to 1.5.0', 'switchyard track catalog-api free --version 1.5.0'],
    ['Run 4 replicas of the production track', 'switchyard track catalog-api production --replicas 4'],
  ],
  status: [
    ['The running fleet and the releases in progress', 'switchyard status'],
    ['Every replica too, as kubectl get -o wide', 'switchyard status -o wide'],
    [
      "Follow catalog-api's release until it ends, for at most an hour",
      'switchyard status catalog-api --watch --timeout 1h',
    ],
  ],
  runbook: [
    ["What to do about a finding: the environment's runbook of its check", 'switchyard runbook track-endpoints'],
    [
      'Read it from a configuration directory, before pushing it',
      'switchyard runbook leftovers examples/video-platform',
    ],
    ['The markdown and where it comes from, for a script', 'switchyard runbook router-replicas -o json'],
  ],
  health: [
    ['The environment at a glance: exit 0 healthy, 8 warning, 9 critical', 'switchyard health'],
    ['One service, for a script', 'switchyard health catalog-api -o json'],
    ['Keep it on a screen, redrawn as findings come and go', 'switchyard health --env production --watch'],
  ],
  deploy: [
    ['Release 1.5.0 of catalog-api through its stages and follow it', 'switchyard deploy catalog-api 1.5.0'],
    [
      'In CI: give up following after 45 minutes (exit 7), the release goes on',
      'switchyard deploy catalog-api 1.5.0 --timeout 45m',
    ],
    ['Start it, print the release as JSON and return', 'switchyard deploy catalog-api 1.5.0 --detach -o json'],
  ],
  promote: [
    ["Go to the next stage of catalog-api's release now", 'switchyard promote catalog-api --reason "verified by hand"'],
  ],
  approve: [
    ['Approve the stage that waits for a person', 'switchyard approve catalog-api'],
    ['Right after deploy: approve ahead, the stage advances once it passes', 'switchyard approve 3f2a9c1e-…'],
  ],
  pause: [['Stop measuring and advancing', 'switchyard pause catalog-api --reason "incident 4211"']],
  resume: [['Carry on after a pause', 'switchyard resume catalog-api']],
  abort: [['Stop the release and return to what ran before', 'switchyard abort catalog-api --reason "wrong build"']],
  rollback: [
    ['Roll back the release in progress at once', 'switchyard rollback catalog-api --reason "5xx on checkout"'],
    ['Go back to a version released here before', 'switchyard rollback catalog-api --to 1.4.2'],
  ],
  history: [
    ['The last 20 changes of catalog-api', 'switchyard history catalog-api'],
    ['Whole commit ids and messages', 'switchyard history catalog-api -n 5 -o wide'],
  ],
  audit: [
    ['Who deployed lately', 'switchyard audit --action release.deploy -n 20'],
    ["One person's actions, as JSON", 'switchyard audit --actor ana -o json'],
  ],
  workers: [
    [
      'Size the encoding worker from its recorded task stats',
      'switchyard workers calibrate encoding-worker --stats stats/',
    ],
  ],
  'workers calibrate': [
    ['Suggest limits so that 95% of tasks fit', 'switchyard workers calibrate encoding-worker --stats stats/'],
    [
      'Compare with the limits in staging, 99% fit',
      `switchyard workers calibrate encoding-worker --stats stats/ --target 99 -c ${EX} -e staging`,
    ],
  ],
  apply: [
    ['See what would change in staging (a diff), writing nothing', `switchyard apply ${EX} --env staging --dry-run`],
    ['Apply staging and wait up to 10 minutes for the rollout', `switchyard apply ${EX} --env staging --timeout 10m`],
  ],
  sandbox: [
    ['Start a local Kubernetes cluster to try the Kubernetes runtime', 'switchyard sandbox up'],
    ['Stop it', 'switchyard sandbox down'],
  ],
  'sandbox up': [
    ['Start the sandbox cluster', 'switchyard sandbox up'],
    ['A second cluster beside it, its ports 100 higher', 'switchyard sandbox up --name second --port-offset 100'],
  ],
  'sandbox down': [['Stop the sandbox cluster and remove its run directory', 'switchyard sandbox down --clean']],
  'sandbox status': [['Does the sandbox cluster run?', 'switchyard sandbox status && echo up']],
  token: [
    [
      'A token for CI that may deploy to staging',
      'switchyard token create ci-staging --role staging=deployer --expires 30d',
    ],
    ['Every token', 'switchyard token list'],
  ],
  'token create': [
    [
      'A token for CI that may deploy to staging, for 30 days',
      'TOKEN=$(switchyard token create ci-staging --role staging=deployer --expires 30d)',
    ],
    ['A read-only token for every environment', 'switchyard token create dashboards --role "*=viewer"'],
  ],
  'token list': [
    ['Every token that reaches an environment you administer', 'switchyard token list'],
    ['As JSON, for a program', 'switchyard token list -o json'],
  ],
  'token revoke': [['Revoke a token by its name', 'switchyard token revoke ci-staging']],
  'token recover': [
    ['A new admin token for the local fleet (stop `switchyard up` first)', `switchyard token recover ${EX}`],
  ],
  silence: [
    [
      'Mute the alerts of api for two hours',
      'switchyard silence add --service api --reason "replacing nodes" --expires 2h',
    ],
    ['The silences muting now', 'switchyard silence list'],
  ],
  'silence add': [
    [
      "Mute api's endpoint alerts for two hours",
      'switchyard silence add --service api --check track-endpoints --reason "replacing nodes" --expires 2h',
    ],
    [
      'Mute every router alert until a time, in production',
      'switchyard silence add --check router-replicas --reason "HAProxy upgrade" --expires 2027-01-31T18:00:00Z --env production',
    ],
  ],
  'silence list': [
    ['The silences muting now', 'switchyard silence list'],
    ['Ended ones too, as JSON', 'switchyard silence list --all -o json'],
  ],
  alerts: [
    [
      "Production's alert rules for your Prometheus",
      'switchyard alerts rules ./config --env production > switchyard.rules.yml',
    ],
  ],
  'alerts rules': [
    [
      "Production's alert rules for your Prometheus, checked by promtool",
      'switchyard alerts rules ./config --env production > switchyard.rules.yml && promtool check rules switchyard.rules.yml',
    ],
    ['As JSON', 'switchyard alerts rules ./config --env staging -o json'],
  ],
  timeline: [
    ['What happened in the last two hours', 'switchyard timeline --since 2h'],
    [
      'One service during an incident',
      'switchyard timeline --env production --service api --since 2026-03-02T09:00:00Z --until 2026-03-02T11:00:00Z',
    ],
    ['For a script', 'switchyard timeline --since 30m -o json'],
  ],
  postmortem: [
    [
      'The skeleton of a post-mortem, to a file',
      'switchyard postmortem 2026-03-02T09:00:00Z 2026-03-02T11:00:00Z --env production -o incident.md',
    ],
    ['Of one service, the last three hours until now', 'switchyard postmortem 3h 0s --service api'],
  ],
  'silence expire': [['End a silence now', 'switchyard silence expire 0f8fad5b-d9cb-469f-a165-70867728950e']],
  version: [
    ['The CLI and the server it talks to', 'switchyard version'],
    ['As JSON', 'switchyard version -o json --api https://switchyard.example.com'],
  ],
  completion: [
    ['Complete in this bash session', 'source <(switchyard completion bash)'],
    ['In zsh, for every session', 'switchyard completion zsh > "${fpath[1]}/_switchyard"'],
    ['In fish', 'switchyard completion fish > ~/.config/fish/completions/switchyard.fish'],
  ],
};

/** A command's path in the tree: `traffic share`; the program itself is ``. */
export function commandPath(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

export function formatExamples(examples: readonly Example[]): string {
  return `\nExamples:\n${examples.map(([what, line]) => `  # ${what}\n  ${line}`).join('\n\n')}\n`;
}

/** Adds its Examples section to every command of the tree that has one in EXAMPLES. */
export function addExamples(command: Command): void {
  const examples = EXAMPLES[commandPath(command)];
  if (examples) command.addHelpText('after', formatExamples(examples));
  for (const sub of command.commands) addExamples(sub);
}
