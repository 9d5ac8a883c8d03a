import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../render/index.js';
import { objectDiff } from './object-diff.js';

const deployment = (replicas: number, image: string, extra: Record<string, unknown> = {}): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api-free', namespace: 'video', labels: { app: 'api' }, ...extra },
    spec: { replicas, template: { spec: { containers: [{ name: 'app', image }] } } },
  }) as KubeObject;

describe('the diff of what an apply would change', () => {
  it('shows the changed fields of an object with their context, like kubectl diff', () => {
    const live = deployment(2, 'api:1.4.0', {
      uid: 'u-1',
      resourceVersion: '812',
      generation: 4,
      managedFields: [{ manager: 'switchyard' }],
      annotations: { 'switchyard.dev/applied-hash': 'aaa' },
    });
    const after = deployment(3, 'api:1.5.0', {
      uid: 'u-1',
      resourceVersion: '813',
      generation: 5,
      managedFields: [{ manager: 'switchyard' }],
      annotations: { 'switchyard.dev/applied-hash': 'bbb' },
    });
    expect(objectDiff([{ key: 'Deployment/api-free', before: live, after }])).toBe(
      [
        '--- live/Deployment/api-free',
        '+++ applied/Deployment/api-free',
        '@@ -6,9 +6,9 @@',
        '   name: api-free',
        '   namespace: video',
        ' spec:',
        '-  replicas: 2',
        '+  replicas: 3',
        '   template:',
        '     spec:',
        '       containers:',
        '-        - image: api:1.4.0',
        '+        - image: api:1.5.0',
        '           name: app',
        '',
      ].join('\n'),
    );
  });

  it('shows a new object whole, a pruned one whole, and nothing for bookkeeping alone', () => {
    const created = objectDiff([{ key: 'Deployment/api-free', before: null, after: deployment(1, 'api:1') }]);
    expect(created).toMatch(
      /^--- \/dev\/null\n\+\+\+ applied\/Deployment\/api-free\n@@ -0,0 \+1,14 @@\n\+apiVersion: apps\/v1\n/,
    );
    expect(created.split('\n').filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
    const pruned = objectDiff([{ key: 'Deployment/api-free', before: deployment(1, 'api:1'), after: null }]);
    expect(pruned).toMatch(
      /^--- live\/Deployment\/api-free\n\+\+\+ \/dev\/null\n@@ -1,14 \+0,0 @@\n-apiVersion: apps\/v1\n/,
    );
    const same = objectDiff([
      {
        key: 'Deployment/api-free',
        before: deployment(1, 'api:1', { resourceVersion: '1' }),
        after: { ...deployment(1, 'api:1', { resourceVersion: '2' }), status: { readyReplicas: 1 } } as KubeObject,
      },
    ]);
    expect(same).toBe('');
  });
});
