/**
 * How the configuration schema is compiled: one Ajv setup, shared by the build step
 * that writes the standalone validators (scripts/gen-schema-validators.ts) and by the
 * test that checks them against a compilation at run time. Nothing at run time
 * imports this file: Ajv's compiler stays out of every bundle.
 */
import Ajv, { type Options } from 'ajv';
import addFormats from 'ajv-formats';
import schemaJson from '../../../config/schema/orchestra.schema.json';

export const SCHEMA_ID = (schemaJson as { $id: string }).$id;
export const RESOLVED_REF = `${SCHEMA_ID}#/definitions/resolved`;

/** Annotations VS Code understands (and `x-fix`, ours): Ajv must accept them, and ignores them. */
const ANNOTATIONS = ['patternErrorMessage', 'x-fix', 'allowComments', 'allowTrailingCommas', 'markdownDescription'];

/** The schema's Ajv; `extra` adds options (the build asks for `code: { source: true }`). */
export function createSchemaAjv(extra: Options = {}): Ajv {
  // verbose: errors carry the failing schema node and data, which the messages use.
  // strictRequired off: the 'resolved' overlay requires keys the root declares (allOf).
  const ajv = new Ajv({
    allErrors: true,
    verbose: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    ...extra,
  });
  addFormats(ajv, ['uri', 'email']);
  for (const keyword of ANNOTATIONS) ajv.addKeyword(keyword);
  ajv.addSchema(schemaJson as object);
  return ajv;
}
