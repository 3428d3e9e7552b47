/**
 * Request bodies as the emulator's request log keeps them: passwords (AlloyDB's
 * `initialUser.password`, a user's `password`) are replaced, so the log, which
 * tests and the admin route print, never holds one.
 */
const SECRET_KEYS = new Set(['password']);

export function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEYS.has(k) && typeof v === 'string' ? '[REDACTED]' : redactBody(v),
    ]),
  );
}
