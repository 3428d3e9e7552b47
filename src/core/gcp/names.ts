/**
 * Names the APIs answer are data from the network: an operation's name is polled, an image
 * digest is deployed, a version name is recorded and shown. Google gives them a known shape
 * (AIP-122); a name outside it is refused before the product uses it.
 */

/**
 * One segment of a Google resource name: URI-unreserved characters, `@` (service accounts are
 * named by email) and parentheses (Firestore's `(default)`); never `.` or `..`. No `:`: in a
 * request path it starts a custom method (AIP-136). Markup, quotes, whitespace, `|`, backticks,
 * `?`, `#` and `%` are never part of one.
 */
const SEGMENT = /^[A-Za-z0-9._~@()-]+$/;

const isSegment = (s: string) => SEGMENT.test(s) && s !== '.' && s !== '..';

/**
 * Whether `name` has the shape of `pattern`, segment by segment: `*` is any one segment, a
 * literal must match. 'projects/* /secrets/config/versions/*' (without the space).
 */
export function isResourceName(name: unknown, pattern: string): name is string {
  if (typeof name !== 'string') return false;
  const segments = name.split('/');
  const wanted = pattern.split('/');
  return (
    segments.length === wanted.length &&
    segments.every((s, i) => isSegment(s) && (wanted[i] === '*' || wanted[i] === s))
  );
}

/** `operations/ID` or `<parent>/operations/ID`: how every API this product calls names its operations. */
export function isOperationName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  const segments = name.split('/');
  return segments.length >= 2 && segments.at(-2) === 'operations' && segments.every(isSegment);
}

/** A container image digest as Cloud Build and Artifact Registry answer it. */
export function isImageDigest(value: unknown): value is string {
  return typeof value === 'string' && /^sha256:[0-9a-f]{64}$/.test(value);
}
