/**
 * The OData pieces of the fake Business Central (docs/recipes/business-central.md, "What the test fake
 * checks"): the error body every BC API error has (`{"error":{"code","message"}}`), weak ETags, and the
 * subset of `$filter` / `$orderby` / `$top` the recipe's poll uses.
 */
import type { ServerResponse } from 'node:http';

/** Sends BC's OData error shape. */
export function odataError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json; odata.metadata=minimal', ...headers });
  res.end(body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json; odata.metadata=minimal', ...headers });
  res.end(JSON.stringify(body));
}

/** A weak ETag as BC writes it (`W/"JzQ0O…"`): opaque, new on every change of the record. */
export function weakEtag(id: string, version: number): string {
  return `W/"${Buffer.from(`'${id};${version};'`).toString('base64')}"`;
}

type Row = Record<string, unknown>;

/** `field op value` clauses joined by `and`: ops eq, ne, gt, ge, lt, le; values numbers or 'strings'. */
export function applyFilter(rows: Row[], filter: string | null): Row[] | { error: string } {
  if (filter === null || filter.trim() === '') return rows;
  const clauses = filter.split(/\s+and\s+/i);
  const tests: ((row: Row) => boolean)[] = [];
  for (const clause of clauses) {
    const match =
      /^\s*([A-Za-z][A-Za-z0-9]*)\s+(eq|ne|gt|ge|lt|le)\s+('(?:[^']|'')*'|-?\d+(?:\.\d+)?)\s*$/.exec(clause);
    if (!match) return { error: `Syntax error in $filter at '${clause.trim()}'` };
    const [, field, op, literal] = match as unknown as [string, string, string, string];
    const value: string | number = literal.startsWith("'")
      ? literal.slice(1, -1).replaceAll("''", "'")
      : Number(literal);
    tests.push((row) => {
      const actual = row[field] as string | number;
      switch (op) {
        case 'eq':
          return actual === value;
        case 'ne':
          return actual !== value;
        case 'gt':
          return actual > value;
        case 'ge':
          return actual >= value;
        case 'lt':
          return actual < value;
        default:
          return actual <= value;
      }
    });
  }
  return rows.filter((row) => tests.every((t) => t(row)));
}

/** `$orderby=field [asc|desc]` (one field). */
export function applyOrderBy(rows: Row[], orderby: string | null): Row[] | { error: string } {
  if (orderby === null) return rows;
  const match = /^\s*([A-Za-z][A-Za-z0-9]*)(?:\s+(asc|desc))?\s*$/.exec(orderby);
  if (!match) return { error: `Invalid $orderby '${orderby}'` };
  const field = match[1] as string;
  const sign = match[2] === 'desc' ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[field] as string | number;
    const y = b[field] as string | number;
    return x < y ? -sign : x > y ? sign : 0;
  });
}
