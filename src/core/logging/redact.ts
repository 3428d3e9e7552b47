/**
 * Masks secrets before text reaches a log line, an error message or a stack.
 * Known secrets (API keys, tokens registered with addSecret) are masked wherever
 * they appear; bearer tokens, Authorization headers and key-like query values are
 * masked by shape, so a secret nobody registered still does not leak through a URL
 * or a dumped header.
 */
export interface Redactor {
  /** Registers a value that must never appear in clear. Empty values are ignored. */
  addSecret(value: string | undefined): void;
  redact(text: string): string;
  /** A redacted, printable form of any log argument. */
  redactValue(value: unknown): string;
  /** Redacts message, stack and causes in place, and returns the same error. */
  redactError<E>(error: E): E;
}

const SHAPES: { pattern: RegExp; secretGroup: number }[] = [
  // Authorization: Bearer xyz / Basic xyz, in headers, JSON or prose.
  { pattern: /\b(authorization["']?\s*[:=]\s*["']?(?:bearer|basic|token)?\s*)([^\s"',;}]+)/gi, secretGroup: 2 },
  { pattern: /\b(bearer\s+)([A-Za-z0-9._~+/=-]+)/gi, secretGroup: 2 },
  { pattern: /\b(x-api-key["']?\s*[:=]\s*["']?)([^\s"',;}]+)/gi, secretGroup: 2 },
  // ?key=..., &api_key=..., access_token=... in URLs and form bodies.
  {
    pattern:
      /((?:^|[?&;\s"'])(?:key|api[_-]?key|access[_-]?token|refresh[_-]?token|token|client[_-]?secret)=)([^&\s"'#]+)/gi,
    secretGroup: 2,
  },
];

/** `****` plus the last four characters; short secrets are masked whole. */
export function maskSecret(value: string): string {
  if (value.startsWith('****')) return value;
  return value.length >= 12 ? `****${value.slice(-4)}` : '****';
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function createRedactor(initialSecrets: Iterable<string | undefined> = []): Redactor {
  const secrets = new Set<string>();
  let known: RegExp | undefined;

  const rebuild = () => {
    // Longest first, so a secret containing another is masked whole.
    const sorted = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
    known = sorted.length ? new RegExp(sorted.join('|'), 'g') : undefined;
  };

  const redact = (text: string): string => {
    let out = known ? text.replace(known, (secret) => maskSecret(secret)) : text;
    for (const { pattern, secretGroup } of SHAPES) {
      out = out.replace(pattern, (...groups: string[]) => {
        const head = groups.slice(1, secretGroup).join('');
        return head + maskSecret(groups[secretGroup]);
      });
    }
    return out;
  };

  const redactValue = (value: unknown): string => {
    if (typeof value === 'string') return redact(value);
    if (value instanceof Error) return redact(value.stack ?? `${value.name}: ${value.message}`);
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return String(value);
    try {
      return redact(JSON.stringify(value) ?? String(value));
    } catch {
      return redact(String(value));
    }
  };

  const redactError = <E>(error: E, depth = 0): E => {
    if (!(error instanceof Error) || depth > 5) return error;
    try {
      error.message = redact(error.message);
      if (error.stack) error.stack = redact(error.stack);
      const fields = error as unknown as Record<string, unknown>;
      for (const field of ['fix', 'where', 'url']) {
        if (typeof fields[field] === 'string') {
          Object.defineProperty(error, field, { value: redact(fields[field] as string), configurable: true });
        }
      }
      if (error.cause !== undefined) redactError(error.cause, depth + 1);
    } catch {
      // A frozen or exotic error keeps its text; callers still pass it through redactValue when logging.
    }
    return error;
  };

  const redactor: Redactor = {
    addSecret(value) {
      if (!value || secrets.has(value)) return;
      secrets.add(value);
      rebuild();
    },
    redact,
    redactValue,
    redactError: (error) => redactError(error),
  };
  for (const secret of initialSecrets) redactor.addSecret(secret);
  return redactor;
}
