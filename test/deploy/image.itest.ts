/**
 * Switchyard's container image from deploy/image/build: an OCI layout tarball that containerd
 * imports under its reference, whose root filesystem runs the built CLI as uid 10001.
 * test/run builds it first (cached); a warm build only hashes its inputs.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/switchyard/test/support/cli.js';
import { build, execIn, ImageLayout } from './image-support.js';

const VERSION = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'packages/switchyard/package.json'), 'utf8')) as { version: string }
).version;
const work = mkdtempSync(join(tmpdir(), 'sy-image-'));
let image: ImageLayout;

beforeAll(() => {
  image = ImageLayout.build([], work);
}, 1_800_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the image', () => {
  it('is named switchyard:<version>-<hash>, as containerd imports it', () => {
    expect(image.ref).toMatch(new RegExp(`^switchyard:${VERSION.replaceAll('.', '\\.')}-[0-9a-f]{12}$`));
    expect(image.tarball).toMatch(/\.oci\.tar$/);
    const index = image.index();
    expect(index.manifests).toHaveLength(1);
    expect(index.manifests[0]!.annotations).toEqual({
      'org.opencontainers.image.ref.name': image.ref.slice('switchyard:'.length),
      'io.containerd.image.name': `docker.io/library/${image.ref}`,
    });
    expect(readFileSync(join(work, 'layout/oci-layout'), 'utf8')).toContain('imageLayoutVersion');
  });

  it('runs `switchyard server` as uid 10001, under tini, with its layers compressed', () => {
    expect(image.manifest().layers.map((l) => l.mediaType)).toEqual(
      Array(4).fill('application/vnd.oci.image.layer.v1.tar+gzip') as string[],
    );
    const config = image.config();
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
    const before = statSync(image.tarball).mtimeMs;
    expect(build()).toEqual([image.tarball, image.ref]);
    expect(build(['--image', 'switchyard'])).toEqual([image.tarball, image.ref]);
    expect(statSync(image.tarball).mtimeMs).toBe(before);
  });

  // Unpacking keeps the files' owners and chroot switches users: both need root, as CI runs.
  it.runIf(process.getuid?.() === 0)(
    "its root filesystem runs Switchyard, Node and git as uid 10001, who cannot change the app's files",
    () => {
      const rootfs = image.unpack();
      const inImage = (...args: string[]) =>
        execIn(rootfs, '10001:10001', { PATH: '/usr/local/bin:/usr/bin:/bin' }, args);
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
