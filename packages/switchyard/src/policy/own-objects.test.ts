import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from '../render/index.js';
import { REPO_ROOT } from '../../test/support/cli.js';
import { runPolicy } from './index.js';

/**
 * Switchyard's own objects (the plain manifests rendered from its Helm chart) pass its own
 * policy rules. An exemption is an annotation with its reason on the object, as a service
 * file's policy.exempt renders; each one is listed here, so a new one is a decision.
 */

const MANIFESTS = join(REPO_ROOT, 'deploy/manifests/switchyard.yaml');

function manifests(): KubeObject[] {
  return parseAllDocuments(readFileSync(MANIFESTS, 'utf8'))
    .map((doc) => doc.toJS() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

describe("Switchyard's own manifests", () => {
  const objects = manifests();

  it('hold the server and what it needs', () => {
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ClusterRole',
      'ClusterRoleBinding',
      'Deployment',
      'PodDisruptionBudget',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'Service',
      'ServiceAccount',
    ]);
  });

  it('pass every policy rule, exempted only where a reason is written', () => {
    const report = runPolicy('switchyard', 'kubernetes', objects);
    expect(report.findings.filter((f) => !f.exemption)).toEqual([]);
    expect(report.findings.map((f) => [f.rule, f.kind, f.name, f.exemption])).toEqual([
      [
        'node-pool-class',
        'Deployment',
        'switchyard',
        'the server fits any node; nodePool.class pins it where node pools are labelled',
      ],
    ]);
  });
});
