/**
 * Cross-reference tables (admin; docs/connectors.md#cross-reference-tables): `PUT`, `GET` and `DELETE`
 * `/v1/xref/{table}/{key}`, `GET /v1/xref/{table}` (a page, or `?reverse=` the keys of a value) and the
 * all-or-nothing bulk load `POST /v1/xref/{table}` (CSV or NDJSON). A table not in `xref:` is a 404.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { XrefTableConfig } from '../../config/compiled-config.js';
import {
  parseXrefCsv,
  parseXrefNdjson,
  type XrefLoadEntry,
  XrefLoadError,
  xrefValueProblem,
} from '../../domain/xref-load.js';
import { ManifoldError, NotFoundError, ValidationError } from '../../errors.js';
import type { ApiContext, ApiServices } from '../api-context.js';
import { WAITING_SCAN } from './xref-table-routes.js';

const Problem = { $ref: 'Problem#' };
const adminErrors = { 400: Problem, 401: Problem, 403: Problem, 404: Problem };
const TableParams = Type.Object({ table: Type.String() });
const EntryParams = Type.Object({ table: Type.String(), key: Type.String({ minLength: 1, maxLength: 512 }) });
const Entry = Type.Object({ key: Type.String(), value: Type.Unknown(), updatedAt: Type.String() });
const Retried = Type.Array(Type.Integer(), {
  description: 'the open xref_missing exceptions that waited on these keys, retried now',
});
const PutAnswer = Type.Object({
  key: Type.String(),
  value: Type.Unknown(),
  updatedAt: Type.String(),
  retried: Retried,
});
const PAGE = 500;
/** What a waiting exception's detail names: the table and the key (an X12 item: either of two keys). */
const WAITS_ON = /cross-reference table '([^']+)' has no key '([^']*)'(?: or '([^']*)')?/;

/**
 * Retries the open `xref_missing` exceptions waiting on `keys` of `table` (their detail names the table and
 * the key): a parked delivery is sent again, a parked request or X12 set is mapped again by its connector.
 * One that still lacks another key stays open. Returns the ids retried.
 */
export async function retryWaitingOn(
  { store, inbound, wakeDelivery }: Pick<ApiServices, 'store' | 'inbound' | 'wakeDelivery'>,
  table: string,
  keys: ReadonlySet<string>,
  who: string,
): Promise<number[]> {
  const retried: number[] = [];
  const actor = (key: string) => ({
    who,
    at: new Date().toISOString(),
    note: `cross-reference table '${table}' now has key '${key}'`,
  });
  let afterId: number | undefined;
  const waiting: { id: number; key: string; replay: boolean }[] = [];
  for (let read = 0; read < WAITING_SCAN; read += PAGE) {
    const page = await store.delivery.listExceptions({
      code: 'xref_missing',
      status: 'open',
      limit: PAGE,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    for (const e of page) {
      const match = WAITS_ON.exec(e.detail) ?? WAITS_ON.exec(e.lastError ?? '');
      if (match === null || match[1] !== table) continue;
      const key = [match[2], match[3]].find((k) => k !== undefined && keys.has(k));
      if (key === undefined) continue;
      waiting.push({ id: e.id, key, replay: e.outboxId === undefined });
    }
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]?.id;
  }
  const byKey = new Map<string, number[]>();
  for (const e of waiting) {
    if (!e.replay) {
      byKey.set(e.key, [...(byKey.get(e.key) ?? []), e.id]);
      continue;
    }
    // The whole record (a list leaves out what the connector replays from, such as the raw request).
    const record = await store.delivery.getException(e.id);
    if (record === undefined || record.status !== 'open') continue;
    try {
      await inbound.replay(record);
    } catch (error) {
      // Still waiting (another key it needs is missing): it stays open for the next fill.
      if (error instanceof ManifoldError) continue;
      throw error;
    }
    const [done] = await store.delivery.retryExceptions([e.id], actor(e.key));
    if (done !== undefined) retried.push(done.id);
  }
  for (const [key, ids] of byKey) {
    const done = await store.delivery.retryExceptions(ids, actor(key));
    retried.push(...done.map((e) => e.id));
    for (const subscription of new Set(done.map((e) => e.subscription))) wakeDelivery(subscription);
  }
  return retried.sort((a, b) => a - b);
}

/** Registers the cross-reference routes. */
export function registerXrefRoutes(app: FastifyInstance, context: ApiContext): void {
  const { auth, store, config } = context;
  const tableOf = (name: string): XrefTableConfig => {
    const table = config.xref?.get(name);
    if (table === undefined) {
      const known = [...(config.xref?.keys() ?? [])];
      throw new NotFoundError(
        `no cross-reference table '${name}'${known.length > 0 ? `; configured: ${known.join(', ')}` : ' (none configured under xref:)'}`,
      );
    }
    return table;
  };

  app.put<{ Params: { table: string; key: string }; Body: unknown }>(
    '/v1/xref/:table/:key',
    {
      schema: {
        summary:
          'Set one entry of a cross-reference table; the body is its JSON value. The open xref_missing exceptions waiting on the key are retried (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        params: EntryParams,
        response: { 200: PutAnswer, ...adminErrors },
      },
    },
    async (request) => {
      const who = auth.requireAdmin(request);
      const table = tableOf(request.params.table);
      const value = request.body;
      const problem = Buffer.isBuffer(value) ? 'send the value as application/json' : xrefValueProblem(value);
      if (problem !== undefined) throw new ValidationError(problem, [{ pointer: '/', detail: problem }]);
      const at = new Date().toISOString();
      await store.xref.put(table.name, request.params.key, value, at, table.reverse, { who });
      const retried = await retryWaitingOn(context, table.name, new Set([request.params.key]), who);
      return { key: request.params.key, value, updatedAt: at, retried };
    },
  );

  app.get<{ Params: { table: string; key: string } }>(
    '/v1/xref/:table/:key',
    {
      schema: {
        summary: 'One entry of a cross-reference table (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        params: EntryParams,
        response: { 200: Entry, ...adminErrors },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const table = tableOf(request.params.table);
      const entry = await store.xref.entry(table.name, request.params.key);
      if (entry === undefined) {
        throw new NotFoundError(`no key '${request.params.key}' in cross-reference table '${table.name}'`);
      }
      return entry;
    },
  );

  app.delete<{ Params: { table: string; key: string } }>(
    '/v1/xref/:table/:key',
    {
      schema: {
        summary: 'Remove one entry of a cross-reference table (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        params: EntryParams,
        response: { 204: Type.Null(), ...adminErrors },
      },
    },
    async (request, reply) => {
      const who = auth.requireAdmin(request);
      const table = tableOf(request.params.table);
      const at = new Date().toISOString();
      if (!(await store.xref.delete(table.name, request.params.key, { who, at }))) {
        throw new NotFoundError(`no key '${request.params.key}' in cross-reference table '${table.name}'`);
      }
      reply.code(204);
      return null;
    },
  );

  app.get<{
    Params: { table: string };
    Querystring: { reverse?: string; after?: string; prefix?: string; limit?: number };
  }>(
    '/v1/xref/:table',
    {
      schema: {
        summary:
          'A page of a cross-reference table in key order (?prefix= the keys starting with it), or with ?reverse= the entries whose value (or reverse field) is that value (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        params: TableParams,
        querystring: Type.Object({
          reverse: Type.Optional(Type.String()),
          after: Type.Optional(Type.String()),
          prefix: Type.Optional(Type.String({ maxLength: 512 })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
        }),
        response: {
          200: Type.Object({ entries: Type.Array(Entry), next: Type.Optional(Type.String()) }),
          ...adminErrors,
        },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const table = tableOf(request.params.table);
      const { reverse, after, prefix, limit } = request.query;
      if (reverse !== undefined) return { entries: await store.xref.reverse(table.name, reverse) };
      return store.xref.list(table.name, {
        ...(after !== undefined ? { after } : {}),
        ...(prefix !== undefined && prefix !== '' ? { prefix } : {}),
        limit: limit ?? 100,
      });
    },
  );

  app.post<{ Params: { table: string }; Body: unknown }>(
    '/v1/xref/:table',
    {
      schema: {
        summary:
          'Load many entries at once, all or nothing: text/csv (header key,<fields…>) or application/x-ndjson ({"key","value"} per line) (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        params: TableParams,
        response: {
          200: Type.Object({ table: Type.String(), loaded: Type.Integer(), retried: Retried }),
          ...adminErrors,
        },
      },
    },
    async (request) => {
      const who = auth.requireAdmin(request);
      const table = tableOf(request.params.table);
      const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      const body = request.body;
      if (!Buffer.isBuffer(body) || (type !== 'text/csv' && type !== 'application/x-ndjson')) {
        throw new ValidationError(
          `send the entries as text/csv or application/x-ndjson (got ${type || 'no content type'})`,
          [{ pointer: '/', detail: 'unsupported content type for a bulk load' }],
          'unsupported-media-type',
        );
      }
      let entries: XrefLoadEntry[];
      try {
        const text = new TextDecoder('utf-8', { fatal: true }).decode(body);
        entries = type === 'text/csv' ? parseXrefCsv(text) : parseXrefNdjson(text);
      } catch (error) {
        if (error instanceof XrefLoadError) {
          throw new ValidationError(`nothing loaded: ${error.message}`, [
            { pointer: `/line/${error.line}`, detail: error.message },
          ]);
        }
        if (error instanceof TypeError) {
          throw new ValidationError('nothing loaded: the body is not UTF-8 text', [
            { pointer: '/', detail: 'not UTF-8' },
          ]);
        }
        throw error;
      }
      await store.xref.putMany(table.name, entries, new Date().toISOString(), table.reverse, { who });
      const keys = new Set(entries.map((entry) => entry.key));
      const retried = await retryWaitingOn(context, table.name, keys, who);
      return { table: table.name, loaded: entries.length, retried };
    },
  );
}
