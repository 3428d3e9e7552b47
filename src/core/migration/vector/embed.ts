/**
 * Vertex AI text embeddings for records that carry none:
 * `POST /v1/projects/P/locations/L/publishers/google/models/M:predict`
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api),
 * batched within the API's limits: at most 250 texts and about 20,000 input
 * tokens per request (counted here as 4 characters a token, the API's own rule
 * of thumb, with `autoTruncate` for the rare longer text).
 */
import { OrchestraError } from '../../errors';
import type { StepContext } from '../types';
import { vectorConfig } from './connection';

export const MAX_INSTANCES = 250;
export const MAX_TOKENS = 20_000;
const CHARS_PER_TOKEN = 4;

interface PredictResponse {
  predictions?: Array<{ embeddings?: { values?: number[] } }>;
}

/** Splits texts into requests within both limits, keeping their order. */
export function embeddingBatches(texts: readonly string[]): string[][] {
  const batches: string[][] = [];
  let current: string[] = [];
  let tokens = 0;
  for (const text of texts) {
    const cost = Math.max(1, Math.ceil(text.length / CHARS_PER_TOKEN));
    if (current.length && (current.length >= MAX_INSTANCES || tokens + cost > MAX_TOKENS)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(text);
    tokens += cost;
  }
  if (current.length) batches.push(current);
  return batches;
}

export async function embedTexts(ctx: StepContext, texts: readonly string[]): Promise<number[][]> {
  const config = vectorConfig(ctx);
  const model = config.embeddingModel!;
  const path = `/v1/projects/${ctx.config.projectId}/locations/${ctx.config.location}/publishers/google/models/${model}:predict`;
  const out: number[][] = [];
  for (const batch of embeddingBatches(texts)) {
    const answer = await ctx.gcp.request<PredictResponse>({
      api: 'aiplatform',
      method: 'POST',
      path,
      body: {
        instances: batch.map((content) => ({ content, task_type: 'RETRIEVAL_DOCUMENT' })),
        parameters: { autoTruncate: true, outputDimensionality: config.dimension },
      },
      // Prediction changes nothing: sending it twice is safe.
      idempotent: true,
      signal: ctx.signal,
    });
    const vectors = (answer.predictions ?? []).map((p) => p.embeddings?.values ?? []);
    if (vectors.length !== batch.length || vectors.some((v) => v.length !== config.dimension)) {
      throw new OrchestraError(
        'BAD_EMBEDDINGS',
        `${model} answered ${vectors.length} embedding(s) for ${batch.length} text(s), not all of dimension ${config.dimension}.`,
        {
          where: 'memory-system/vector-copy',
          fix: `Set phases.memorySystem.vectorStore.dimension to the model's output dimension, or pick a model that supports ${config.dimension}.`,
        },
      );
    }
    ctx.metric('texts_embedded', batch.length);
    out.push(...vectors);
  }
  return out;
}
