/**
 * The configured cross-reference tables for the console (admin; docs/console.md#cross-reference-tables):
 * `GET /v1/xref-tables` lists each table under `xref:` with its settings and entry count, and
 * `GET /v1/xref-tables/{table}` adds the open exceptions waiting on it (their detail names the table and a
 * key it lacks: `xref_missing`, or a shaped call refused for it). A table not in `xref:` is a 404 problem.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { XrefTableConfig } from '../../config/compiled-config.js';
import {
  XrefTableDetailSchema,
  XrefTableListSchema,
  type XrefWaiting,
} from '../../contracts/views/xref-views.js';
import { NotFoundError } from '../../errors.js';
import type { Store } from '../../store/store-port.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };
const adminErrors = { 401: Problem, 403: Problem };

/** Most open exceptions read to find those waiting on tables (oldest first, in pages). */
export const WAITING_SCAN = 5000;
const PAGE = 500;

/** `cross-reference table '<name>' has no key '<key>'` (the webhook, poll and shaped-call messages). */
export const NAMED = /cross-reference table '([^']+)' has no key '([^']*)'/;

/** The open exceptions waiting on a table, by table name. */
async function waitingByTable(store: Store): Promise<Map<string, XrefWaiting[]>> {
  const byTable = new Map<string, XrefWaiting[]>();
  let afterId: number | undefined;
  for (let read = 0; read < WAITING_SCAN; read += PAGE) {
    const page = await store.delivery.listExceptions({
      status: 'open',
      limit: PAGE,
      ...(afterId !== undefined ? { afterId } : {}),
    });
    for (const e of page) {
      const match = NAMED.exec(e.detail);
      if (match === null) continue;
      const table = match[1] as string;
      const list = byTable.get(table) ?? [];
      list.push({
        id: e.id,
        code: e.code,
        ...(e.system !== undefined ? { system: e.system } : {}),
        ...(e.subscription !== undefined ? { subscription: e.subscription } : {}),
        key: match[2] as string,
        detail: e.detail,
        createdAt: e.createdAt,
      });
      byTable.set(table, list);
    }
    if (page.length < PAGE) break;
    afterId = page[page.length - 1]?.id;
  }
  return byTable;
}

function summary(table: XrefTableConfig, entries: number, waiting: number) {
  return {
    name: table.name,
    ...(table.description !== undefined ? { description: table.description } : {}),
    onMissing: table.onMissing,
    ...(table.onMissing === 'default' ? { default: table.default } : {}),
    ...(table.reverse !== undefined ? { reverse: table.reverse } : {}),
    entries,
    waiting,
  };
}

export function registerXrefTableRoutes(app: FastifyInstance, { auth, store, config }: ApiContext): void {
  app.get(
    '/v1/xref-tables',
    {
      schema: {
        summary:
          'The cross-reference tables under xref:, with their settings, entry counts and waiting exceptions (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        response: { 200: XrefTableListSchema, ...adminErrors },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const counts = await store.xref.counts();
      const waiting = await waitingByTable(store);
      const tables = [...(config.xref?.values() ?? [])].map((t) =>
        summary(t, counts.get(t.name) ?? 0, waiting.get(t.name)?.length ?? 0),
      );
      return { tables };
    },
  );

  app.get<{ Params: { table: string } }>(
    '/v1/xref-tables/:table',
    {
      schema: {
        summary:
          'One cross-reference table: its settings, entry count and the open exceptions waiting on it (admin)',
        tags: ['xref'],
        security: [{ bearer: [] }],
        params: Type.Object({ table: Type.String() }),
        response: {
          200: XrefTableDetailSchema,
          404: Problem,
          ...adminErrors,
        },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const table = config.xref?.get(request.params.table);
      if (table === undefined) {
        const known = [...(config.xref?.keys() ?? [])];
        throw new NotFoundError(
          `no cross-reference table '${request.params.table}'${known.length > 0 ? `; configured: ${known.join(', ')}` : ' (none configured under xref:)'}`,
        );
      }
      const counts = await store.xref.counts();
      const waiting = (await waitingByTable(store)).get(table.name) ?? [];
      return { ...summary(table, counts.get(table.name) ?? 0, waiting.length), waitingExceptions: waiting };
    },
  );
}
