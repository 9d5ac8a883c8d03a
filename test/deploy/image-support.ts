/**
 * The images deploy/image/build makes, looked at as a node would: the OCI layout containerd
 * imports, the configuration the kubelet starts a container from, and the root filesystem
 * running a container's process the way a rendered pod starts it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { lstatSync, mkdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Container } from '../../packages/switchyard/src/render/index.js';
import { REPO_ROOT } from '../../packages/switchyard/test/support/cli.js';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], input?: string): Run {
  const r = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20, input });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface ImageConfig {
  os: string;
  architecture: string;
  config: {
    User: string;
    Entrypoint?: string[];
    Cmd?: string[];
    Env: string[];
    WorkingDir: string;
    ExposedPorts?: Record<string, object>;
    StopSignal?: string;
    Labels?: Record<string, string>;
  };
}

export const BUILD = join(REPO_ROOT, 'deploy/image/build');

/** deploy/image/build's two lines: the tarball and the reference. */
export function build(args: readonly string[] = []): [string, string] {
  const r = run(BUILD, args);
  expect(r.code, r.stderr).toBe(0);
  const [path, reference] = r.stdout.trim().split('\n');
  return [path!, reference!];
}

/** An image's tarball unpacked into `dir`/layout. */
export class ImageLayout {
  readonly tag: string;

  constructor(
    readonly tarball: string,
    readonly ref: string,
    readonly dir: string,
  ) {
    this.tag = ref.slice(ref.lastIndexOf(':') + 1);
    mkdirSync(join(dir, 'layout'), { recursive: true });
    const untar = run('tar', ['-xf', tarball, '-C', join(dir, 'layout')]);
    expect(untar.code, untar.stderr).toBe(0);
  }

  static build(args: readonly string[], dir: string): ImageLayout {
    const [tarball, ref] = build(args);
    return new ImageLayout(tarball, ref, dir);
  }

  blob(digest: string): string {
    return readFileSync(join(this.dir, 'layout/blobs', digest.replace(':', '/')), 'utf8');
  }

  index(): { manifests: Descriptor[] } {
    return JSON.parse(readFileSync(join(this.dir, 'layout/index.json'), 'utf8')) as { manifests: Descriptor[] };
  }

  manifest(): { config: Descriptor; layers: Descriptor[] } {
    return JSON.parse(this.blob(this.index().manifests[0]!.digest)) as { config: Descriptor; layers: Descriptor[] };
  }

  config(): ImageConfig {
    return JSON.parse(this.blob(this.manifest().config.digest)) as ImageConfig;
  }

  /** The root filesystem, unpacked by umoci as containerd would (file owners kept: needs root). */
  unpack(): string {
    const umoci = run('bash', ['-c', 'source deploy/lib.sh && tool umoci']);
    expect(umoci.code, umoci.stderr).toBe(0);
    const bundle = join(this.dir, 'bundle');
    const unpacked = run(umoci.stdout.trim(), ['unpack', '--image', `${join(this.dir, 'layout')}:${this.tag}`, bundle]);
    expect(unpacked.code, unpacked.stderr).toBe(0);
    return join(bundle, 'rootfs');
  }
}

/** The environment a container starts with: the image's, then the pod's on top. */
export function containerEnv(image: ImageConfig, container?: Container): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of image.config.Env) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  for (const { name, value } of container?.env ?? []) env[name] = value ?? '';
  return env;
}

/** What the container runs: the image's entrypoint, then the pod's args or else the image's command. */
export function containerArgv(image: ImageConfig, container?: Container): string[] {
  return [...(image.config.Entrypoint ?? []), ...(container?.args ?? image.config.Cmd ?? [])];
}

/** The user the container runs as: the pod's runAsUser, or else the image's; the image's group. */
export function containerUser(image: ImageConfig, container?: Container): string {
  const [uid, gid] = image.config.User.split(':');
  const runAsUser = container?.securityContext?.runAsUser as number | undefined;
  return `${runAsUser ?? uid}:${gid ?? uid}`;
}

/** `env` in the root filesystem: only `env`'s variables, from the image's working directory. */
function inRootfs(rootfs: string, user: string, workdir: string, env: Record<string, string>): string[] {
  const vars = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  return ['chroot', `--userspec=${user}`, rootfs, '/usr/bin/env', '-i', '-C', workdir || '/', ...vars];
}

/** The address a pod's process listens on besides loopback: a process bound to loopback alone does not answer on it. */
export const POD_IP = '192.0.2.10';
/** The cluster's DNS server in a pod's resolv.conf; in a pod's network here it answers every query at once with a refusal. */
export const CLUSTER_DNS = '10.96.0.10';
/** A pod's network: its own namespace, whose loopback holds POD_IP and CLUSTER_DNS and which reaches nothing else. */
const POD_NETWORK = ['ip link set lo up', `ip addr add ${POD_IP}/32 dev lo`, `ip addr add ${CLUSTER_DNS}/32 dev lo`];

/**
 * One command in the root filesystem as a container's user with its environment; `isolated`
 * runs it in a pod's network of its own (see POD_NETWORK).
 */
export function execIn(
  rootfs: string,
  user: string,
  env: Record<string, string>,
  argv: readonly string[],
  options: { isolated?: boolean } = {},
): Run {
  const [command, ...args] = [
    ...(options.isolated ? ['unshare', '--net', 'sh', '-c', [...POD_NETWORK, 'exec "$@"'].join(' && '), 'sh'] : []),
    ...inRootfs(rootfs, user, '/', env),
    ...argv,
  ];
  return run(command!, args);
}

/** A path inside the root filesystem as the runtime resolves it: absolute symlinks stay inside (/var/run → /run). */
export function rootfsPath(rootfs: string, path: string): string {
  let resolved = '';
  const parts = path.split('/').filter(Boolean);
  for (let i = 0; i < parts.length; i++) {
    const next = `${resolved}/${parts[i]}`;
    const target = lstatSync(join(rootfs, next), { throwIfNoEntry: false })?.isSymbolicLink()
      ? readlinkSync(join(rootfs, next))
      : undefined;
    if (target === undefined) resolved = next;
    else
      return rootfsPath(
        rootfs,
        [target.startsWith('/') ? target : `${resolved}/${target}`, ...parts.slice(i + 1)].join('/'),
      );
  }
  return join(rootfs, resolved);
}

export interface PodOptions {
  /** The rendered pod's container and volumes; the image alone when none. */
  readonly container?: Container;
  readonly volumes?: readonly unknown[];
  /** Variables set on top of the container's. */
  readonly env?: Readonly<Record<string, string>>;
  /** This machine's network instead of a namespace of its own. */
  readonly hostNetwork?: boolean;
}

/**
 * A container as the kubelet starts it from the image and the rendered pod: its command,
 * user, environment and working directory, in the root filesystem (read-only when its
 * securityContext says so); its emptyDir volumes as tmpfs; /proc and /dev mounted; in a pod's network of its own (see POD_NETWORK), or this
 * machine's. The namespaces go with the process.
 */
export class PodProcess {
  private out = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    readonly child: ChildProcess,
    readonly rootfs: string,
    readonly user: string,
    readonly env: Readonly<Record<string, string>>,
    /** Where its ports answer: POD_IP, or loopback on this machine's network. */
    readonly address: string,
  ) {
    child.stdout?.on('data', (c: Buffer) => (this.out += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.out += c.toString()));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }

  static start(rootfs: string, image: ImageConfig, options: PodOptions = {}): PodProcess {
    const { container } = options;
    const user = containerUser(image, container);
    const env = { ...containerEnv(image, container), ...options.env };
    const emptyDirs = new Set(
      (options.volumes ?? [])
        .filter((v) => (v as { emptyDir?: unknown }).emptyDir)
        .map((v) => (v as { name: string }).name),
    );
    const tmpfs = (container?.volumeMounts ?? [])
      .filter((m) => emptyDirs.has(m.name))
      .map((m) => rootfsPath(rootfs, m.mountPath));
    for (const dir of tmpfs) mkdirSync(dir, { recursive: true });
    const readOnly = container?.securityContext?.readOnlyRootFilesystem === true;
    const setup = [
      ...(options.hostNetwork ? [] : POD_NETWORK),
      ...(readOnly ? [`mount --bind ${rootfs} ${rootfs}`, `mount -o remount,bind,ro ${rootfs}`] : []),
      `mount -t proc proc ${rootfs}/proc`,
      `mount --rbind /dev ${rootfs}/dev`,
      ...tmpfs.map((dir) => `mount -t tmpfs -o mode=0777 emptydir ${dir}`),
      'exec "$@"',
    ].join(' && ');
    const child = spawn(
      'unshare',
      [
        ...(options.hostNetwork ? [] : ['--net']),
        '--mount',
        'sh',
        '-c',
        setup,
        'sh',
        ...inRootfs(rootfs, user, image.config.WorkingDir, env),
        ...containerArgv(image, container),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new PodProcess(child, rootfs, user, env, options.hostNetwork ? '127.0.0.1' : POD_IP);
  }

  get pid(): number {
    return this.child.pid!;
  }

  output(): string {
    return this.out;
  }

  /** A command in the running container, as `kubectl exec` runs it: its namespaces, user and environment. */
  exec(argv: readonly string[]): Run {
    return run('nsenter', [
      `--target=${this.pid}`,
      '--mount',
      '--net',
      '--',
      ...inRootfs(this.rootfs, this.user, '/', this.env),
      ...argv,
    ]);
  }

  /** An HTTP GET to the pod's address from inside its network namespace, as the kubelet's probes and routers reach it. */
  get(port: number, path: string): { status: number; body: string } {
    const r = run('nsenter', [
      `--net=/proc/${this.pid}/ns/net`,
      'curl',
      '--silent',
      '--noproxy',
      '*',
      '--max-time',
      '5',
      '--write-out',
      '\n%{http_code}',
      `http://${this.address}:${port}${path}`,
    ]);
    const at = r.stdout.lastIndexOf('\n');
    return { status: Number(r.stdout.slice(at + 1)) || 0, body: r.stdout.slice(0, Math.max(at, 0)) };
  }

  /**
   * A TCP conversation with a port on the pod's loopback, from inside its network namespace, as
   * the API server's port-forward holds it: writes `input`, returns what came back until the pod
   * closed the connection.
   */
  loopback(port: number, input: string): Run {
    const client =
      "const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');" +
      's.on("connect", () => process.stdin.pipe(s)); s.pipe(process.stdout);' +
      's.on("error", (e) => { console.error(e.message); process.exit(1); });';
    return run('nsenter', [`--net=/proc/${this.pid}/ns/net`, process.execPath, '-e', client, String(port)], input);
  }

  /** Waits until GET path answers `status`; fails with the process's output if it never does. */
  async waitFor(port: number, path: string, status = 200, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`exited (${this.child.exitCode ?? this.child.signalCode}):\n${this.out}`);
      }
      if (this.get(port, path).status === status) return;
      if (Date.now() > deadline) throw new Error(`GET :${port}${path} never answered ${status}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Waits until the process has printed `text`. A probe can answer before the line it printed
   * first reaches this side of the pipe, so a test that reads the output after a probe waits here.
   */
  async waitForOutput(text: string, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.out.includes(text)) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(
          `exited (${this.child.exitCode ?? this.child.signalCode}) before printing "${text}":\n${this.out}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`never printed "${text}":\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends the signal and resolves with the exit code; SIGKILL after `timeoutMs`. */
  async stop(signal: NodeJS.Signals, timeoutMs = 15_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
