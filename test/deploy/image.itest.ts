/**
 * Switchyard's container image from deploy/image/build: an OCI layout tarball that containerd
 * imports under its reference, whose root filesystem runs the built CLI as uid 10001.
 * test/run builds it first (cached); a warm build only hashes its inputs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/switchyard/test/support/cli.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[]): Run {
  const r = spawnSync(command, args, { cwd: REPO_ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

const BUILD = join(REPO_ROOT, 'deploy/image/build');
const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'packages/switchyard/package.json'), 'utf8')) as { version: string }
).version;
const work = mkdtempSync(join(tmpdir(), 'sy-image-'));
let tarball = '';
let ref = '';

function build(): [string, string] {
  const r = run(BUILD, []);
  expect(r.code, r.stderr).toBe(0);
  const [path, reference] = r.stdout.trim().split('\n');
  return [path!, reference!];
}

const blob = (digest: string) => readFileSync(join(work, 'layout/blobs', digest.replace(':', '/')), 'utf8');

beforeAll(() => {
  [tarball, ref] = build();
  expect(run('mkdir', ['-p', join(work, 'layout')]).code).toBe(0);
  expect(run('tar', ['-xf', tarball, '-C', join(work, 'layout')]).code).toBe(0);
}, 1_800_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the image', () => {
  it('is named switchyard:<version>-<hash>, as containerd imports it', () => {
    expect(ref).toMatch(new RegExp(`^switchyard:${VERSION.replaceAll('.', '\\.')}-[0-9a-f]{12}$`));
    expect(tarball).toMatch(/\.oci\.tar$/);
    const index = JSON.parse(readFileSync(join(work, 'layout/index.json'), 'utf8')) as { manifests: Descriptor[] };
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations).toEqual({
      'org.opencontainers.image.ref.name': ref.slice('switchyard:'.length),
      'io.containerd.image.name': `docker.io/library/${ref}`,
    });
    expect(readFileSync(join(work, 'layout/oci-layout'), 'utf8')).toContain('imageLayoutVersion');
  });

  it('runs `switchyard server` as uid 10001, under tini, with its layers compressed', () => {
    const index = JSON.parse(readFileSync(join(work, 'layout/index.json'), 'utf8')) as { manifests: Descriptor[] };
    const manifest = JSON.parse(blob(index.manifests[0]!.digest)) as { config: Descriptor; layers: Descriptor[] };
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(
      Array(4).fill('application/vnd.oci.image.layer.v1.tar+gzip') as string[],
    );
    const config = JSON.parse(blob(manifest.config.digest)) as {
      os: string;
      architecture: string;
      config: { User: string; Entrypoint: string[]; Cmd: string[]; Env: string[]; WorkingDir: string };
    };
    expect([config.os, config.architecture]).toEqual(['linux', 'amd64']);
    expect(config.config.User).toBe('10001:10001');
    expect(config.config.Entrypoint).toEqual([
      '/usr/bin/tini',
      '--',
      '/usr/local/bin/node',
      '/app/packages/switchyard/dist/cli/main.js',
    ]);
    expect(config.config.Cmd).toEqual(['server']);
    expect(config.config.Env).toContain('HOME=/var/lib/switchyard');
  });

  it('is not built again when nothing changed', () => {
    const before = statSync(tarball).mtimeMs;
    expect(build()).toEqual([tarball, ref]);
    expect(statSync(tarball).mtimeMs).toBe(before);
  });

  // Unpacking keeps the files' owners and chroot switches users: both need root, as CI runs.
  it.runIf(process.getuid?.() === 0)(
    "its root filesystem runs Switchyard, Node and git as uid 10001, who cannot change the app's files",
    () => {
      const umoci = run('bash', ['-c', 'source deploy/lib.sh && tool umoci']);
      expect(umoci.code, umoci.stderr).toBe(0);
      const bundle = join(work, 'bundle');
      const tag = ref.slice('switchyard:'.length);
      const unpacked = run(umoci.stdout.trim(), ['unpack', '--image', `${join(work, 'layout')}:${tag}`, bundle]);
      expect(unpacked.code, unpacked.stderr).toBe(0);
      const inImage = (...args: string[]) => run('chroot', ['--userspec=10001:10001', join(bundle, 'rootfs'), ...args]);
      expect(inImage('/usr/bin/tini', '-s', '--', 'switchyard', '--version').stdout.trim()).toBe(VERSION);
      expect(inImage('/usr/local/bin/node', '--version').stdout.trim()).toBe(process.version);
      expect(inImage('git', '--version').stdout).toMatch(/^git version 2\./);
      expect(inImage('ssh', '-V').stderr).toMatch(/OpenSSH/);
      expect(inImage('id', '-un').stdout.trim()).toBe('switchyard');
      expect(inImage('touch', '/app/package.json').code).not.toBe(0);
      expect(inImage('touch', '/var/lib/switchyard/probe').code).toBe(0);
      expect(inImage('test', '-s', '/etc/ssl/certs/ca-certificates.crt').code).toBe(0);
    },
  );
});
