/**
 * A resource's page in the Google Cloud console, from the name the plan gives it
 * ("Cloud Run service projects/p/locations/l/services/s", "bucket gs://b"). Each part
 * taken from the name is URL-encoded, so a hostile name stays text inside the path; a name
 * that matches no known shape gets no link rather than a guess.
 */

const CONSOLE = 'https://console.cloud.google.com';
const SEGMENT = '([A-Za-z0-9._~@%:<>"\'()&;=+$!*,\\[\\] -]+?)';

type Builder = (parts: string[], project: string) => string;

const enc = encodeURIComponent;

const PATTERNS: readonly (readonly [RegExp, Builder])[] = [
  [
    new RegExp(`projects/${SEGMENT}/locations/${SEGMENT}/services/${SEGMENT}(?:$|\\s)`),
    ([p, l, s]) => `${CONSOLE}/run/detail/${enc(l)}/${enc(s)}/revisions?project=${enc(p)}`,
  ],
  [
    new RegExp(`projects/${SEGMENT}/locations/${SEGMENT}/repositories/${SEGMENT}(?:$|\\s)`),
    ([p, l, r]) => `${CONSOLE}/artifacts/docker/${enc(p)}/${enc(l)}/${enc(r)}?project=${enc(p)}`,
  ],
  [
    new RegExp(`projects/${SEGMENT}/secrets/${SEGMENT}(?:$|\\s)`),
    ([p, s]) => `${CONSOLE}/security/secret-manager/secret/${enc(s)}/versions?project=${enc(p)}`,
  ],
  [
    new RegExp(`projects/${SEGMENT}/databases/${SEGMENT}(?:$|\\s)`),
    ([p, d]) => `${CONSOLE}/firestore/databases/${enc(d)}/data?project=${enc(p)}`,
  ],
  [
    new RegExp(`projects/${SEGMENT}/locations/${SEGMENT}/clusters/${SEGMENT}(?:/instances/${SEGMENT})?(?:$|\\s)`),
    ([p, l, c]) => `${CONSOLE}/alloydb/locations/${enc(l)}/clusters/${enc(c)}/overview?project=${enc(p)}`,
  ],
  [
    new RegExp(`projects/${SEGMENT}/locations/${SEGMENT}/workstationClusters/${SEGMENT}(?:/|$|\\s)`),
    ([p, l, c]) => `${CONSOLE}/workstations/clusters/${enc(l)}/${enc(c)}?project=${enc(p)}`,
  ],
  [
    new RegExp(`service account ${SEGMENT}@${SEGMENT}\\.iam\\.gserviceaccount\\.com`),
    ([name, p]) => `${CONSOLE}/iam-admin/serviceaccounts?project=${enc(p)}&search=${enc(name)}`,
  ],
  [
    /^services ([a-z0-9.-]+\.googleapis\.com) on project /,
    ([svc], p) => `${CONSOLE}/apis/library/${enc(svc)}?project=${enc(p)}`,
  ],
  [
    /gs:\/\/([^/\s]+)(?:\/(\S+))?/,
    ([b, o], p) =>
      `${CONSOLE}/storage/browser/${enc(b)}${o ? `/${o.split('/').slice(0, -1).map(enc).join('/')}` : ''}?project=${enc(p)}`,
  ],
];

/** By step, where the name is a list or a policy, not one object. */
const BY_STEP: Readonly<Record<string, (project: string) => string>> = {
  'core-infrastructure/services': (p) => `${CONSOLE}/apis/dashboard?project=${enc(p)}`,
  'core-infrastructure/runtime-roles': (p) => `${CONSOLE}/iam-admin/iam?project=${enc(p)}`,
  'ai-coding/team-roles': (p) => `${CONSOLE}/iam-admin/iam?project=${enc(p)}`,
  'ai-coding/gemini-api': (p) => `${CONSOLE}/apis/library/cloudaicompanion.googleapis.com?project=${enc(p)}`,
  'memory-system/vector-apis': (p) => `${CONSOLE}/apis/dashboard?project=${enc(p)}`,
  'api-deployment/image': (p) => `${CONSOLE}/cloud-build/builds?project=${enc(p)}`,
};

export function consoleUrl(stepId: string, target: string | undefined, projectId: string): string | undefined {
  const byStep = BY_STEP[stepId];
  if (byStep) return byStep(projectId);
  if (!target) return undefined;
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(target);
    if (match)
      return build(
        match.slice(1).filter((x) => x !== undefined),
        projectId,
      );
  }
  return undefined;
}
