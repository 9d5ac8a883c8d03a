import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeConfig } from '../../test/support/cli.js';
import { isSwitchyardError } from '../errors/index.js';
import { CHECKS } from '../spec/index.js';
import { DEFAULT_RUNBOOKS, findingRunbook, readRunbook, runbookProblems } from './read.js';

const alerts = [...CHECKS, 'checkout-endpoints'];

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isSwitchyardError(err)) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('runbooks', () => {
  it('ship one default per check, each saying what it means, how to confirm, what to do on both runtimes and when to escalate', () => {
    const shipped = readdirSync(DEFAULT_RUNBOOKS).sort();
    expect(shipped).toEqual(CHECKS.map((c) => `${c}.md`).sort());
    for (const check of CHECKS) {
      const text = readFileSync(join(DEFAULT_RUNBOOKS, `${check}.md`), 'utf8');
      expect(text.split('\n')[0]).toMatch(new RegExp(`^# ${check}: `));
      for (const section of ['## What it means', '## How to confirm', '## What to do', '## When to escalate'])
        expect(text, `${check}: ${section}`).toContain(section);
      expect(text, check).toMatch(/kubectl|Kubernetes/);
    }
  });

  it("serve the configuration repository's file over the default", async () => {
    const dir = await writeConfig({ 'runbooks/track-endpoints.md': '# Ours\n\nCall Ana.\n' });
    expect(await readRunbook('track-endpoints', { configDir: dir, alerts })).toEqual({
      alert: 'track-endpoints',
      source: 'config',
      file: 'runbooks/track-endpoints.md',
      markdown: '# Ours\n\nCall Ana.\n',
    });
    const fallback = await readRunbook('leftovers', { configDir: dir, alerts });
    expect(fallback).toMatchObject({
      alert: 'leftovers',
      source: 'default',
      file: join(DEFAULT_RUNBOOKS, 'leftovers.md'),
    });
    expect(fallback.markdown).toContain('# leftovers: ');
  });

  it("serve a rule's own runbook for a finding it fired, else the check's", async () => {
    const dir = await writeConfig({ 'runbooks/checkout-endpoints.md': '# Checkout\n' });
    const options = { configDir: dir, alerts };
    expect(await findingRunbook('track-endpoints', 'checkout-endpoints', options)).toMatchObject({
      alert: 'checkout-endpoints',
      source: 'config',
    });
    expect(await findingRunbook('track-endpoints', 'critical', options)).toMatchObject({
      alert: 'track-endpoints',
      source: 'default',
    });
  });

  it('refuse an alert that is no check or rule, a path, and a rule without a runbook of its own', async () => {
    const dir = await writeConfig({ 'runbooks/track-endpoints.md': 'x' });
    expect(await refusal(readRunbook('track-endpoint', { configDir: dir, alerts }))).toMatch(
      /^SWY_RUNBOOK_NOT_FOUND: There is no runbook track-endpoint: it is no health check/,
    );
    expect(await refusal(readRunbook('../services/api', { configDir: dir, alerts }))).toMatch(/^SWY_RUNBOOK_NOT_FOUND/);
    expect(await refusal(readRunbook('checkout-endpoints', { configDir: dir, alerts }))).toMatch(
      /the configuration repository has no runbooks\/checkout-endpoints\.md and Switchyard ships none for it/,
    );
  });

  it("list the problems of a directory's runbooks/, none without one", async () => {
    const { fleetOf, baseTexts } = await import('../../test/support/config.js');
    const fleets = [fleetOf(baseTexts(), 'production')];
    expect(await runbookProblems(await writeConfig({ 'services/.keep': '' }), fleets)).toEqual([]);
    const dir = await writeConfig({
      'runbooks/leftover.md': 'x',
      'runbooks/leftovers.md': 'x',
      'runbooks/.draft.md': 'x',
    });
    expect((await runbookProblems(dir, fleets)).map((i) => [i.code, i.file])).toEqual([
      ['runbook_unknown', 'runbooks/leftover.md'],
    ]);
  });
});
