/**
 * Partial responses for the list route: `fields=cursor,records(key,content)`, in the
 * grammar of Google APIs' `fields` parameter (a comma list of names, a name may select
 * its own sub-fields in parentheses). A bulk reader asks only for what it keeps: in a
 * page of small records, createdAt, updatedAt, version and the separate keys array are
 * about half the bytes the server serializes and the client parses.
 */

/** What a list answer holds, and what a record in it holds. */
const PAGE_FIELDS = ['keys', 'records', 'cursor'] as const;
export const RECORD_FIELDS = [
  'key',
  'content',
  'scope',
  'ttl',
  'createdAt',
  'updatedAt',
  'version',
  'seq',
  'createdSeq',
] as const;

export type PageField = (typeof PAGE_FIELDS)[number];
export type RecordField = (typeof RECORD_FIELDS)[number];

/** The parsed selector: each selected page field, and for records the record fields kept. */
export interface FieldSelection {
  page: ReadonlySet<PageField>;
  /** In the order of RECORD_FIELDS, whatever order the selector named them in. */
  record: readonly RecordField[];
}

export class FieldsError extends Error {}

/** Parses a `fields` value; a bad one throws FieldsError saying what and where. */
export function parseFields(text: string): FieldSelection {
  const page = new Set<PageField>();
  let record: Set<RecordField> | undefined;
  let i = 0;
  const name = (): string => {
    const start = i;
    while (i < text.length && /[A-Za-z]/.test(text[i])) i++;
    if (i === start) {
      throw new FieldsError(
        `fields: expected a field name at character ${start + 1} of '${text}'` +
          (start < text.length ? `, found '${text[start]}'` : ''),
      );
    }
    return text.slice(start, i);
  };
  const known = <T extends string>(value: string, allowed: readonly T[], where: string): T => {
    if (!(allowed as readonly string[]).includes(value)) {
      throw new FieldsError(`fields: unknown field '${value}'${where} (known: ${allowed.join(', ')})`);
    }
    return value as T;
  };
  for (;;) {
    const field = known(name(), PAGE_FIELDS, '');
    page.add(field);
    if (text[i] === '(') {
      if (field !== 'records') throw new FieldsError(`fields: '${field}' has no sub-fields`);
      i++;
      record ??= new Set();
      for (;;) {
        record.add(known(name(), RECORD_FIELDS, ' in records(...)'));
        if (text[i] === ',') i++;
        else break;
      }
      if (text[i] !== ')') throw new FieldsError(`fields: expected ')' at character ${i + 1} of '${text}'`);
      i++;
    } else if (field === 'records') {
      record = new Set(RECORD_FIELDS);
    }
    if (i === text.length) break;
    if (text[i] !== ',') throw new FieldsError(`fields: expected ',' at character ${i + 1} of '${text}'`);
    i++;
  }
  return { page, record: RECORD_FIELDS.filter((f) => record?.has(f)) };
}

/** The selected fields of a record (absent ones stay absent). */
export function projectRecord(
  record: Readonly<Partial<Record<RecordField, unknown>>>,
  fields: readonly RecordField[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of fields) {
    const value = record[field];
    if (value !== undefined) out[field] = value;
  }
  return out;
}
