// The types of schema-validators.generated.js (Ajv standalone code; see scripts/gen-schema-validators.ts).
import type { ErrorObject } from 'ajv';

export interface StandaloneValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

export declare const validateLayer: StandaloneValidator;
export declare const validateResolved: StandaloneValidator;
