import { mkdirSync, mkdtempSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSwitchyardError } from '../errors/index.js';
import { runCli, writeConfig } from '../../test/support/cli.js';
import { baseTexts, PRODUCTION } from '../../test/support/config.js';
import { readConfig } from './index.js';

/**
 * What a configuration directory may hold, as a user meets it through the built CLI: every
 * file is either read or refused with a reason, never skipped without a word (a service left
 * out of `render` would be pruned from a cluster by `apply`).
 */

const STACK_TRACE = /^\s+at .+:\d+:\d+\)?$/m;

async function config(): Promise<string> {
  return writeConfig(baseTexts());
}

async function refused(dir: string, says: RegExp): Promise<string> {
  const r = await runCli(['validate', dir]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toMatch(says);
  expect(r.stderr).toMatch(/hint: \S/);
  expect(r.stderr).not.toMatch(STACK_TRACE);
  expect(r.stdout).toBe('');
  return r.stderr;
}

describe.concurrent('configuration directory', () => {
  it('follows a service file that is a symbolic link inside the directory, for validate and render', async () => {
    const dir = await config();
    mkdirSync(join(dir, 'shared'));
    renameSync(join(dir, 'services/encoder.yaml'), join(dir, 'shared/encoder.yaml'));
    symlinkSync('../shared/encoder.yaml', join(dir, 'services/encoder.yaml'));
    const validate = await runCli(['validate', dir]);
    expect(validate.code, validate.stderr).toBe(0);
    expect(validate.stdout).toBe(
      '✔ production (kubernetes): 1 service, 1 worker valid\n✔ sandbox (local): 1 service, 1 worker valid\n',
    );
    const render = await runCli(['render', dir, '--env', 'production']);
    expect(render.code, render.stderr).toBe(0);
    expect(render.stdout).toContain('name: encoder-fallback');
  });

  it('follows an environment file that is a symbolic link inside the directory', async () => {
    const dir = await config();
    writeFileSync(join(dir, 'staging.yaml'), PRODUCTION.replace('name: production', 'name: staging'));
    symlinkSync('../staging.yaml', join(dir, 'environments/staging.yaml'));
    const r = await runCli(['validate', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('✔ staging (kubernetes): 1 service, 1 worker valid\n');
  });

  it('refuses a symbolic link to a file outside the directory', async () => {
    const dir = await config();
    const elsewhere = mkdtempSync(join(tmpdir(), 'switchyard-elsewhere-'));
    renameSync(join(dir, 'services/encoder.yaml'), join(elsewhere, 'encoder.yaml'));
    symlinkSync(join(elsewhere, 'encoder.yaml'), join(dir, 'services/encoder.yaml'));
    const stderr = await refused(
      dir,
      /services\/encoder.yaml is a symbolic link to .*encoder.yaml, outside the configuration directory/,
    );
    expect(stderr).toContain('→ at services/encoder.yaml');
  });

  it('refuses a loop of symbolic links and a link to nothing, naming each', async () => {
    const dir = await config();
    symlinkSync('b.yaml', join(dir, 'services/a.yaml'));
    symlinkSync('a.yaml', join(dir, 'services/b.yaml'));
    symlinkSync('../nowhere/gone.yaml', join(dir, 'environments/gone.yaml'));
    const stderr = await refused(dir, /services\/a.yaml is a symbolic link to b.yaml, which leads back to itself/);
    expect(stderr).toMatch(/services\/b.yaml is a symbolic link to a.yaml, which leads back to itself/);
    expect(stderr).toMatch(
      /environments\/gone.yaml is a symbolic link to ..\/nowhere\/gone.yaml, which does not exist/,
    );
  });

  it('refuses a file that is not YAML and a directory, and ignores hidden files', async () => {
    const dir = await config();
    writeFileSync(join(dir, 'services/.encoder.yaml.swp'), '\u0000binary editor state');
    writeFileSync(join(dir, 'services/.gitkeep'), '');
    const hidden = await runCli(['validate', dir]);
    expect(hidden.code, hidden.stderr).toBe(0);
    writeFileSync(join(dir, 'services/thumbnail.yaml.disabled'), 'kind: Service\n');
    mkdirSync(join(dir, 'services/legacy'));
    const stderr = await refused(dir, /services\/thumbnail.yaml.disabled is not a YAML file/);
    expect(stderr).toMatch(/services\/legacy is a directory; only the files directly in services\/ are read/);
    expect(stderr).toMatch(/start its name with a dot/);
  });

  it('refuses an environments/ that is a file, not a directory', async () => {
    const dir = await writeConfig({
      'services/api.yaml': baseTexts()['services/api.yaml'] as string,
      environments: PRODUCTION,
    });
    await refused(dir, /environments is a file; it must be a directory of YAML files/);
  });

  it('refuses bytes that are not UTF-8, at the line and column of the first one', async () => {
    const dir = await config();
    const text = Buffer.concat([
      Buffer.from('# owned by the caf'),
      Buffer.from([0xe9]),
      Buffer.from(' team\n'),
      Buffer.from(baseTexts()['services/api.yaml'] as string),
    ]);
    writeFileSync(join(dir, 'services/api.yaml'), text);
    const latin1 = Buffer.from(
      'apiVersion: switchyard.dev/v1\nkind: Environment\nname: production\n# Zürich ',
      'latin1',
    );
    writeFileSync(join(dir, 'environments/production.yaml'), latin1);
    const stderr = await refused(dir, /the file is not UTF-8: byte 0xe9 at offset 18 .*→ at services\/api.yaml:1:19/);
    expect(stderr).toMatch(/byte 0xfc at offset 68 .*→ at environments\/production.yaml:4:4/);
  });

  it('refuses a file over the size limit before parsing it, naming the file, its size and the limit', async () => {
    const dir = await config();
    const keys = Array.from({ length: 190_000 }, (_, i) => `  VAR_${i}: "value-${i}"`).join('\n');
    writeFileSync(join(dir, 'services/api.yaml'), `${baseTexts()['services/api.yaml'] as string}env:\n${keys}\n`);
    const r = await runCli(['validate', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(
      /^error SWY_SPEC_FILE_TOO_LARGE: services\/api.yaml is 5(\.\d)? MiB \(\d{7} bytes\); a configuration file may be at most 1 MiB$/m,
    );
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it('lists a bounded number of problems for a file of 200,000 repeated keys under the size limit', async () => {
    const dir = await config();
    writeFileSync(join(dir, 'services/api.yaml'), 'a: 1\n'.repeat(200_000));
    const stderr = await refused(
      dir,
      /^error SWY_SPEC_INVALID: The configuration in .* is invalid \(199999 problems; the first 1000 are listed\)$/m,
    );
    expect(stderr.match(/^✖ /gm)).toHaveLength(1000);
    expect(stderr).toContain(
      '✖ YAML syntax error: Map keys must be unique; "a" is set twice in this mapping → at services/api.yaml:2:1',
    );
  });

  it('refuses files that together exceed the total limit, before parsing any', async () => {
    const dir = await config();
    const err = await readConfig(dir, { limits: { totalBytes: 600 } }).catch((e: unknown) => e);
    expect(isSwitchyardError(err) && err.code).toBe('SWY_SPEC_TOO_LARGE');
    expect((err as Error).message).toMatch(
      new RegExp(
        `^The configuration files in ${dir} \\(4\\) add up to \\d+ bytes; together they may be at most 600 bytes$`,
      ),
    );
  });
});
