/**
 * Bulk loads of a cross-reference table (docs/connectors.md#cross-reference-tables): CSV with a header row
 * `key,<fields…>`, or NDJSON with one `{ "key": …, "value": … }` per line. Every line is checked before
 * anything is written; the first bad one is named by its line number.
 */

export interface XrefLoadEntry {
  key: string;
  value: unknown;
}

/** A line that cannot be loaded; `line` counts from 1, as an editor shows it. */
export class XrefLoadError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'XrefLoadError';
  }
}

/** An entry's value is a scalar or an object (not an array, not null). */
export function xrefValueProblem(value: unknown): string | undefined {
  if (value === undefined) return 'a value is required';
  if (value === null) return 'the value is null; give a string, number, boolean or object';
  if (Array.isArray(value)) return 'the value is a list; give a string, number, boolean or object';
  return undefined;
}

/**
 * CSV (RFC 4180 quoting: `"a,b"`, `""` for a quote). With one column after `key` named `value`, each entry's
 * value is that cell's text; otherwise an object of the named columns (an empty cell is left out).
 */
export function parseXrefCsv(text: string): XrefLoadEntry[] {
  const rows = csvRows(text);
  const header = rows.shift();
  if (header === undefined) throw new XrefLoadError(1, 'empty file; expected a header row key,<fields…>');
  const [first, ...fields] = header.cells;
  if (first?.trim() !== 'key' || fields.length === 0) {
    throw new XrefLoadError(header.line, "the header row must be 'key' followed by at least one field name");
  }
  fields.forEach((field, index) => {
    if (field.trim() === '') throw new XrefLoadError(header.line, `column ${index + 2} has no name`);
    if (fields.indexOf(field) !== index)
      throw new XrefLoadError(header.line, `column '${field}' is repeated`);
  });
  const scalar = fields.length === 1 && fields[0]?.trim() === 'value';
  const seen = new Set<string>();
  const entries: XrefLoadEntry[] = [];
  for (const row of rows) {
    if (row.cells.length === 1 && row.cells[0] === '') continue;
    if (row.cells.length !== header.cells.length) {
      throw new XrefLoadError(row.line, `${row.cells.length} cells; the header has ${header.cells.length}`);
    }
    const key = row.cells[0] as string;
    checkKey(key, row.line, seen);
    let value: unknown;
    if (scalar) value = row.cells[1];
    else {
      const object: Record<string, string> = {};
      fields.forEach((field, index) => {
        const cell = row.cells[index + 1] as string;
        if (cell !== '') object[field.trim()] = cell;
      });
      value = object;
    }
    entries.push({ key, value });
  }
  return entries;
}

/** NDJSON: one `{ "key": "…", "value": … }` object per line; blank lines are skipped. */
export function parseXrefNdjson(text: string): XrefLoadEntry[] {
  const seen = new Set<string>();
  const entries: XrefLoadEntry[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch (error) {
      throw new XrefLoadError(line, `not JSON (${(error as Error).message})`);
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new XrefLoadError(line, 'expected an object { "key": …, "value": … }');
    }
    const { key, value, ...rest } = parsed as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0)
      throw new XrefLoadError(line, `unknown field '${extra[0]}'; expected key and value`);
    if (typeof key !== 'string') throw new XrefLoadError(line, "'key' must be a string");
    checkKey(key, line, seen);
    const problem = xrefValueProblem(value);
    if (problem !== undefined) throw new XrefLoadError(line, problem);
    entries.push({ key, value });
  });
  return entries;
}

function checkKey(key: string, line: number, seen: Set<string>): void {
  if (key === '') throw new XrefLoadError(line, 'the key is empty');
  if (key.length > 512) throw new XrefLoadError(line, 'the key is longer than 512 characters');
  if (seen.has(key)) throw new XrefLoadError(line, `key '${key}' is repeated in this file`);
  seen.add(key);
}

/** CSV records with the line each starts on; a quoted cell may span lines. */
function csvRows(text: string): { line: number; cells: string[] }[] {
  const rows: { line: number; cells: string[] }[] = [];
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell === '' && !wasQuoted) {
      quoted = true;
      wasQuoted = true;
    } else if (c === ',') {
      cells.push(cell);
      cell = '';
      wasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      cells.push(cell);
      rows.push({ line: start, cells });
      cells = [];
      cell = '';
      wasQuoted = false;
      line++;
      start = line;
    } else if (c === '"') throw new XrefLoadError(line, 'a quote inside an unquoted cell');
    else cell += c;
  }
  if (quoted) throw new XrefLoadError(start, 'a quoted cell is not closed');
  if (cell !== '' || cells.length > 0) {
    cells.push(cell);
    rows.push({ line: start, cells });
  }
  return rows;
}
