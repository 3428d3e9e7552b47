/**
 * Vertex AI text embeddings: `projects.locations.publishers.models.predict`
 * (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/text-embeddings-api).
 * The emulator has no model: it answers each text with a deterministic unit vector
 * seeded by the text's SHA-256 (the same text, the same vector; similar texts are
 * NOT near each other), and keeps Google's limits: 250 texts and 20,000 tokens a
 * request, the model's largest output dimension.
 */
import { createHash } from 'node:crypto';
import { ApiFault, invalid } from '../faults';
import { ok, type EmuRequest, type Route } from '../router';

const MODELS: Record<string, number> = {
  'text-embedding-005': 768,
  'text-embedding-004': 768,
  'text-multilingual-embedding-002': 768,
  'gemini-embedding-001': 3072,
};
const MAX_INSTANCES = 250;
const MAX_TOKENS = 20_000;

/** A unit vector from the text's hash: xorshift32 seeded per 4 bytes, then normalized. */
export function deterministicEmbedding(text: string, dimension: number): number[] {
  const digest = createHash('sha256').update(text).digest();
  let state = digest.readUInt32LE(0) || 1;
  const values: number[] = [];
  for (let i = 0; i < dimension; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    values.push(state / 0xffffffff - 0.5);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => Math.fround(v / norm));
}

function predict(req: EmuRequest) {
  const model = req.params.model.split('@')[0];
  const maxDimension = MODELS[model];
  if (!maxDimension) {
    throw new ApiFault(
      'NOT_FOUND',
      `Publisher Model \`projects/${req.params.project}/locations/${req.params.location}/publishers/google/models/${req.params.model}\` not found.`,
    );
  }
  const instances = req.body.instances;
  if (!Array.isArray(instances) || instances.length === 0)
    throw invalid('instances must be a non-empty list.', 'instances');
  if (instances.length > MAX_INSTANCES) {
    throw invalid(`${instances.length} instances were given; the limit is ${MAX_INSTANCES} per request.`, 'instances');
  }
  const texts = instances.map((instance: unknown, i) => {
    const content = (instance as { content?: unknown } | null)?.content;
    if (typeof content !== 'string')
      throw invalid(`instances[${i}].content must be a string.`, `instances[${i}].content`);
    return content;
  });
  const tokens = texts.map((t) => Math.max(1, Math.ceil(t.length / 4)));
  const total = tokens.reduce((a, b) => a + b, 0);
  if (total > MAX_TOKENS) {
    throw invalid(
      `Unable to submit request because the input token count is ${total} but the model supports up to ${MAX_TOKENS}.`,
    );
  }
  const parameters = (req.body.parameters ?? {}) as { outputDimensionality?: unknown };
  const dimension =
    parameters.outputDimensionality === undefined ? maxDimension : Number(parameters.outputDimensionality);
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > maxDimension) {
    throw invalid(
      `outputDimensionality must be between 1 and ${maxDimension} for ${model}.`,
      'parameters.output_dimensionality',
    );
  }
  return ok({
    predictions: texts.map((text, i) => ({
      embeddings: {
        values: deterministicEmbedding(text, dimension),
        statistics: { truncated: false, token_count: tokens[i] },
      },
    })),
    metadata: { billableCharacterCount: texts.reduce((n, t) => n + t.replace(/\s/g, '').length, 0) },
  });
}

export function aiplatformRoutes(): Route[] {
  return [
    {
      api: 'aiplatform',
      method: 'POST',
      template: '/v1/projects/{project}/locations/{location}/publishers/google/models/{model}:predict',
      permission: 'aiplatform.endpoints.predict',
      handle: predict,
    },
  ];
}
