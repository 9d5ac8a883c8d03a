import { describe, expect, it } from 'vitest';
import { baseTexts, find, fleetOf, setIn } from '../../test/support/config.js';
import { liveTracks } from '../runtime/kubernetes/status.js';
import type { Service } from '../spec/index.js';
import { ANNOTATION, renderUnit, type Deployment, type KubeObject } from './index.js';

const SCHEDULE = [{ cron: '30 19 * * *', duration: '3h', minReplicas: 6, timezone: 'Europe/Paris' }];

function service(autoscaling: unknown): Service {
  const texts = baseTexts();
  texts['services/api.yaml'] = setIn(texts['services/api.yaml'] as string, 'autoscaling', autoscaling);
  return fleetOf(texts).units.find((u) => u.name === 'api') as Service;
}

const objects = (s: Service, floor?: number): KubeObject[] => [
  ...renderUnit(s, fleetOf(baseTexts()).environment, floor !== undefined ? { floor } : {}).objects,
];
const stable = (o: KubeObject[]) => find(o, 'Deployment', 'api-production') as Deployment;
const hpa = (o: KubeObject[]) =>
  find(o, 'HorizontalPodAutoscaler', 'api-production') as KubeObject & {
    spec: { minReplicas: number; maxReplicas: number };
  };

describe('the floor of an open schedule window, rendered', () => {
  it("raises the stable track's Deployment and says by how much; the canary tracks keep their count", () => {
    const s = service({ schedule: SCHEDULE });
    const own = stable(objects(s)).spec.replicas as number;
    const raised = objects(s, 6);
    expect(stable(raised).spec.replicas).toBe(6);
    expect(stable(raised).metadata.annotations).toMatchObject({
      [ANNOTATION.scheduleFloor]: '6',
      [ANNOTATION.replicasWithoutFloor]: String(own),
    });
    expect((find(raised, 'Deployment', 'api-free') as Deployment).spec.replicas).toBe(
      (find(objects(s), 'Deployment', 'api-free') as Deployment).spec.replicas,
    );
    // A floor at or below the track's own count changes nothing.
    expect(stable(objects(s, own))).toEqual(stable(objects(s)));
  });

  it('reads the count without the floor back from the cluster, so letting the floor go restores it', () => {
    const s = service({ schedule: SCHEDULE });
    const live = stable(objects(s, 6));
    expect(liveTracks(s, [{ ...live, status: { replicas: 6, readyReplicas: 6 } }] as never).production?.replicas).toBe(
      stable(objects(s)).spec.replicas,
    );
  });

  it("raises the autoscaler's minimum instead where one owns the count, never above its maximum", () => {
    const s = service({ cpu: { min: 2, max: 8 }, schedule: SCHEDULE });
    expect(hpa(objects(s)).spec.minReplicas).toBe(2);
    expect(hpa(objects(s, 6)).spec.minReplicas).toBe(6);
    expect(hpa(objects(s, 6)).metadata.annotations?.[ANNOTATION.scheduleFloor]).toBe('6');
    expect(hpa(objects(s, 20)).spec.minReplicas).toBe(8);
    expect(stable(objects(s, 6)).spec.replicas).toBeUndefined();
  });
});
