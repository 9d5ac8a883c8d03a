import { LABEL, type Deployment } from '../../render/index.js';
import type { Rule } from '../types.js';
import { clusterScoped, containers, deployments, describe, partOf, settingsOf, unitField } from '../objects.js';

const COST_LABELS = [LABEL.team, LABEL.product, LABEL.costCenter] as const;
const FIELD: Readonly<Record<string, string>> = {
  [LABEL.team]: 'team',
  [LABEL.product]: 'product',
  [LABEL.costCenter]: 'costCenter',
};

export const costLabels: Rule = {
  id: 'cost-labels',
  severity: 'error',
  title: 'Every object carries team, product and cost-center labels',
  rationale:
    'Cost per team, product and environment is only as good as the labels: an unlabelled pod is money nobody owns.',
  remedy:
    "Set team, product and costCenter in the service file, or for every service in an environment's serviceDefaults.",
  check: ({ objects }) =>
    objects.flatMap((o) => {
      const missing = COST_LABELS.filter((l) => !o.metadata.labels?.[l]);
      return missing.length === 0
        ? []
        : [
            {
              object: o,
              message: `${describe(o)} has no ${missing.join(', ')} label`,
              fix: `Set ${missing.map((l) => FIELD[l]).join(', ')} in the service file.`,
              field: unitField(...missing.map((l) => [FIELD[l] as string])),
            },
          ];
    }),
};

export const namespaceSet: Rule = {
  id: 'namespace-set',
  severity: 'warning',
  title: 'Objects live in a namespace of their own, not default',
  rationale:
    'The default namespace mixes everything; a namespace per environment keeps quotas, access and pruning apart.',
  remedy: 'Set cluster.namespace in the environment file.',
  check: ({ objects, runtime }) =>
    objects
      .filter(() => runtime === 'kubernetes')
      .filter((o) => !clusterScoped(o))
      .filter((o) => (o.metadata.namespace ?? 'default') === 'default')
      .map((o) => ({
        object: o,
        message: `${describe(o)} is in the default namespace`,
        fix: 'Set cluster.namespace in the environment file.',
        field: { file: 'environment' as const, paths: [['cluster', 'namespace']] },
      })),
};

const IMMUTABLE =
  /^(?<repo>[^@]+?)(?::(?<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;
const MUTABLE_TAGS = new Set(['latest', 'stable', 'main', 'master', 'dev', 'edge', 'nightly']);

/** The tag of an image reference, ignoring a registry port (`host:5000/repo`). */
export function imageTag(image: string): { tag?: string; digest?: string } {
  const match = IMMUTABLE.exec(image);
  const tag = match?.groups?.tag;
  const repo = match?.groups?.repo ?? image;
  // `host:5000/repo` parses the port as a tag when there is no real tag.
  const tagIsPort =
    tag !== undefined && repo.lastIndexOf('/') > repo.lastIndexOf(':') && image.indexOf(`:${tag}/`) !== -1;
  return {
    ...(tag !== undefined && !tagIsPort ? { tag } : {}),
    ...(match?.groups?.digest ? { digest: match.groups.digest } : {}),
  };
}

/** Where an image's tag comes from: the router's image, or a track's version, the unit's version, its image. */
function imageField(d: Deployment) {
  const settings = settingsOf(d);
  return settings[0] === 'router'
    ? unitField([...settings, 'image'])
    : unitField([...partOf(d), 'version'], ['version'], ['image']);
}

export const imageTagImmutable: Rule = {
  id: 'image-tag-immutable',
  severity: 'error',
  title: 'Images are pinned to a version, never latest',
  rationale:
    'A mutable tag means two replicas of one track can run different code, and a rollback does not roll anything back.',
  remedy:
    "Set version (or the track's version) to an immutable tag such as 1.4.2 or a git sha, and pin router.image to a version as well.",
  check: ({ objects }) =>
    deployments(objects).flatMap((d) =>
      containers(d).flatMap((c) => {
        const { tag, digest } = imageTag(c.image);
        if (digest) return [];
        if (tag === undefined)
          return [
            {
              object: d,
              message: `container ${c.name} of ${describe(d)} has no tag: ${c.image}`,
              fix: "Set version (or the track's version) to an immutable tag such as 1.4.2.",
              field: imageField(d),
            },
          ];
        if (MUTABLE_TAGS.has(tag.toLowerCase()))
          return [
            {
              object: d,
              message: `container ${c.name} of ${describe(d)} uses the mutable tag ${tag}`,
              fix: 'Use an immutable tag such as 1.4.2 or a git sha.',
              field: imageField(d),
            },
          ];
        return [];
      }),
    ),
};
