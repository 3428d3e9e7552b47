/**
 * Validation of retrieval, as the origin project graded it: vector search latency
 * (p95 after warm-up, ✅ at or under vectorStore.searchTargetMs, ⚠️ up to 1.5x, ❌
 * above) and the index's recall@10 against exact search on held-out queries (goal
 * vectorStore.recallGoal). Held-out: each query is a stored vector moved by seeded
 * noise, so it is in no row and the index has never seen it.
 */
import { OrchestraError } from '../../errors';
import { heldOutQueries, recallAt, searchIds, exactIds } from '../../vector/search';
import { measure, VERDICT_MARKS, verdictFor, WARMUP_CALLS } from '../latency';
import type { Action, StepContext } from '../types';
import { requireVectorStore, vectorConfig } from '../vector/connection';

export const VECTOR_VALIDATION = 'validation/vector-search';
/** Enough samples for a p95 that is not the maximum of a handful. */
const MIN_SAMPLES = 50;
const QUERIES = 50;
const K = 10;

async function run(ctx: StepContext): Promise<void> {
  const config = vectorConfig(ctx);
  const db = await requireVectorStore(ctx, VECTOR_VALIDATION);
  const queries = await heldOutQueries(db, QUERIES);
  if (!queries.length) {
    throw new OrchestraError('NO_VECTORS', 'memory_vectors is empty: there is nothing to search.', {
      where: VECTOR_VALIDATION,
      fix: 'Copy the memory records with embeddings first (the Memory System phase).',
    });
  }
  const samples = Math.max(MIN_SAMPLES, ctx.config.phases.validation.samples);
  let i = 0;
  const latency = verdictFor(
    await measure(
      {
        samples,
        signal: ctx.signal,
        timeoutMs: Math.max(2000, config.searchTargetMs * 10),
        what: `vector search on ${db.where}`,
      },
      async () => void (await searchIds(db, queries[i++ % queries.length], K)),
    ),
    config.searchTargetMs,
    db.where.split(':')[0],
  );
  let found = 0;
  for (const query of queries) found += recallAt(await searchIds(db, query, K), await exactIds(db, query, K));
  const recall = Math.round((found / queries.length) * 1000) / 1000;
  const recallVerdict = recall >= config.recallGoal ? 'pass' : 'fail';
  ctx.metric('vector_search_p95_ms', latency.p95);
  ctx.metric('vector_recall_at_10', recall);
  const previous = (ctx.outputs().validation ?? {}) as Record<string, unknown>;
  await ctx.setOutput('validation', {
    ...previous,
    vector: { ...latency, recallAt10: recall, recallGoal: config.recallGoal, recallVerdict, queries: queries.length },
  } as never);
  const line = `Vector search ${VERDICT_MARKS[latency.verdict]} p95 ${latency.p95} ms, p50 ${latency.p50} ms over ${latency.samples} searches (target ${latency.targetMs} ms); recall@10 ${VERDICT_MARKS[recallVerdict]} ${recall} on ${queries.length} held-out queries (goal ${config.recallGoal})`;
  if (latency.verdict === 'fail' || recallVerdict === 'fail') {
    throw new OrchestraError('VECTOR_TARGET_MISSED', line, {
      where: 'phases.memorySystem.vectorStore',
      fix:
        recallVerdict === 'fail'
          ? 'Raise the index quality (HNSW ef_search or m; IVFFlat probes or lists), or lower recallGoal.'
          : 'Check the instance size and the distance from the database; or adjust searchTargetMs.',
    });
  }
  if (latency.verdict === 'warn') ctx.logger.warn(`${line}: latency over its target, within 1.5x`);
  else ctx.logger.info(line);
}

export function vectorValidation(dependsOn: string[]): Action {
  return {
    kind: 'action',
    id: VECTOR_VALIDATION,
    phase: 'validation',
    title: 'Vector search latency and recall',
    dependsOn,
    permissions: [],
    plan: async (ctx) => ({
      action: 'run',
      reason: `sample ${Math.max(MIN_SAMPLES, ctx.config.phases.validation.samples)} searches (after ${WARMUP_CALLS} warm-up) against ${vectorConfig(ctx).searchTargetMs} ms; recall@${K} of the index against exact search on ${QUERIES} held-out queries (goal ${vectorConfig(ctx).recallGoal})`,
    }),
    run,
  };
}
