// The types of state-validators.generated.js (Ajv standalone code; see scripts/gen-schema-validators.ts).
import type { StandaloneValidator } from '../config/schema-validators.generated';

export declare const validateStateV1: StandaloneValidator;
export declare const validateStateV2: StandaloneValidator;
