/**
 * Injected faults of the local memory server, for rehearsals and tests: added
 * latency, a share of 503 answers, a share of dropped connections, a pause
 * that holds requests until it is lifted, and figures a server of another build
 * would report in its status (names the migration shows as it got them).
 */
export interface MemoryFaults {
  /** Added to every API request, ms. */
  latencyMs: number;
  /** Share of API requests answered 503, in [0,1]. */
  errorRate: number;
  /** Share of API requests whose socket is destroyed without an answer, in [0,1]. */
  dropRate: number;
  /** Hold API requests until unpaused. */
  paused: boolean;
  /**
   * Added to `GET /api/status` → `stats`, by name: figures another server build reports
   * under names of its own choosing, which reach the state and the report as metric names.
   */
  extraStats: Record<string, number>;
}

export const NO_FAULTS: MemoryFaults = { latencyMs: 0, errorRate: 0, dropRate: 0, paused: false, extraStats: {} };

/** Longest stat name accepted, in characters. */
const MAX_STAT_NAME = 200;

export function parseFaults(input: unknown, current: MemoryFaults): MemoryFaults {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new Error('faults must be a JSON object such as {"errorRate":0.1}');
  }
  const next = { ...current };
  const source = input as Record<string, unknown>;
  for (const name of ['latencyMs', 'errorRate', 'dropRate'] as const) {
    if (source[name] === undefined) continue;
    const value = source[name];
    const max = name === 'latencyMs' ? 600_000 : 1;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
      throw new Error(`${name} must be a number between 0 and ${max}`);
    }
    next[name] = value;
  }
  if (source.paused !== undefined) {
    if (typeof source.paused !== 'boolean') throw new Error('paused must be true or false');
    next.paused = source.paused;
  }
  if (source.extraStats !== undefined) next.extraStats = parseStats(source.extraStats);
  return next;
}

function parseStats(input: unknown): Record<string, number> {
  const fix = 'extraStats must be a JSON object of finite numbers such as {"cacheHits":12}';
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new Error(fix);
  const stats: Record<string, number> = {};
  for (const [name, value] of Object.entries(input)) {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${fix}: "${name}" is not`);
    if (!name || name.length > MAX_STAT_NAME) throw new Error(`extraStats names must be 1-${MAX_STAT_NAME} characters`);
    stats[name] = value;
  }
  return stats;
}
