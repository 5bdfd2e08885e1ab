/**
 * Requests received by native webhooks on SQL (`inbound_requests`, `inbound_request_events`, migration
 * 0013), shared by both adapters through their `StepRunner` like `sql-connector-state.ts`. A request's
 * events are linked by (source, id) and their log positions read from `events`. Requests kept at the same
 * time share one transaction (a group commit, as the log's appends do): one fsync for many webhooks.
 */

import { GroupCommit } from './group-commit.js';
import type {
  InboundRequestOutcome,
  InboundRequestQuery,
  InboundRequestRecord,
  InboundRequestStore,
  NewInboundRequest,
} from './inbound-request-port.js';
import type { SqlStep, StepRunner } from './sql-step.js';

interface Row {
  id: string;
  system: string;
  route: string;
  received_at: string;
  content_type: string | null;
  headers: string;
  body: string;
  body_encoding: string;
  outcome: string;
  exception_id: number | string | null;
  updated_at: string;
}

export class SqlInboundRequests implements InboundRequestStore {
  private readonly groups: GroupCommit<SqlStep[], undefined>;

  constructor(private readonly runner: StepRunner) {
    this.groups = new GroupCommit(async (units) => {
      try {
        await this.runner.write(units.flat());
        return units.map(() => undefined);
      } catch (error) {
        // One transaction for the group: when it fails, every request of it failed (none is kept).
        return units.map(() => (error instanceof Error ? error : new Error(String(error))));
      }
    });
  }

  /** Keeps a request, durably, in the next group commit of requests. */
  record(request: NewInboundRequest): Promise<void> {
    return this.groups.submit(this.recordSteps(request)).then(() => undefined);
  }

  private recordSteps(request: NewInboundRequest): SqlStep[] {
    return [
      {
        sql: `INSERT INTO inbound_requests (id, system, route, received_at, content_type, headers, body, body_encoding,
                outcome, exception_id, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        params: [
          request.id,
          request.system,
          request.route,
          request.receivedAt,
          request.contentType ?? null,
          JSON.stringify(request.headers),
          request.body,
          request.bodyEncoding,
          request.outcome,
          request.exceptionId ?? null,
          request.receivedAt,
        ],
        mode: 'run',
      },
      ...eventSteps(request.id, `/${request.system}`, request.eventIds),
    ];
  }

  async settle(
    id: string,
    change: { outcome: InboundRequestOutcome; eventIds?: string[]; exceptionId?: number },
    at: string,
  ): Promise<void> {
    const [row] = await this.runner.read<{ system: string }>(
      'SELECT system FROM inbound_requests WHERE id = ?',
      [id],
    );
    if (row === undefined) return;
    await this.runner.write([
      {
        sql: 'UPDATE inbound_requests SET outcome = ?, exception_id = COALESCE(?, exception_id), updated_at = ? WHERE id = ?',
        params: [change.outcome, change.exceptionId ?? null, at, id],
        mode: 'run',
      },
      ...eventSteps(id, `/${row.system}`, change.eventIds ?? []),
    ]);
  }

  async get(id: string): Promise<InboundRequestRecord | undefined> {
    const [row] = await this.runner.read<Row>('SELECT * FROM inbound_requests WHERE id = ?', [id]);
    if (row === undefined) return undefined;
    return (await this.withEvents([row]))[0];
  }

  async list(query: InboundRequestQuery): Promise<InboundRequestRecord[]> {
    const where = ['system = ?'];
    const params: unknown[] = [query.system];
    if (query.route !== undefined) {
      where.push('route = ?');
      params.push(query.route);
    }
    if (query.since !== undefined) {
      where.push('received_at >= ?');
      params.push(new Date(query.since).toISOString());
    }
    if (query.afterId !== undefined) {
      const [after] = await this.runner.read<{ received_at: string }>(
        'SELECT received_at FROM inbound_requests WHERE id = ?',
        [query.afterId],
      );
      if (after !== undefined) {
        where.push('(received_at > ? OR (received_at = ? AND id > ?))');
        params.push(after.received_at, after.received_at, query.afterId);
      }
    }
    const limit = Math.min(Math.max(1, Math.trunc(query.limit ?? 100)), 1000);
    const rows = await this.runner.read<Row>(
      `SELECT * FROM inbound_requests WHERE ${where.join(' AND ')} ORDER BY received_at, id LIMIT ${limit}`,
      params,
    );
    return this.withEvents(rows);
  }

  async forEvents(seqs: readonly number[]): Promise<{ seq: number; requestId: string }[]> {
    const found = new Map<number, string>();
    // In chunks: both engines cap the parameters of one statement.
    for (let start = 0; start < seqs.length; start += 500) {
      const chunk = seqs.slice(start, start + 500);
      const rows = await this.runner.read<{ seq: number | string; request_id: string }>(
        `SELECT e.seq, l.request_id FROM events e
           JOIN inbound_request_events l ON l.event_source = e.source AND l.event_id = e.id
           JOIN inbound_requests r ON r.id = l.request_id
          WHERE e.seq IN (${chunk.map(() => '?').join(', ')})
          ORDER BY e.seq, r.received_at, r.id`,
        [...chunk],
      );
      for (const r of rows) if (!found.has(Number(r.seq))) found.set(Number(r.seq), r.request_id);
    }
    return [...found].map(([seq, requestId]) => ({ seq, requestId })).sort((a, b) => a.seq - b.seq);
  }

  private async withEvents(rows: Row[]): Promise<InboundRequestRecord[]> {
    if (rows.length === 0) return [];
    const events = await this.runner.read<{ request_id: string; seq: number | string; id: string }>(
      `SELECT l.request_id, e.seq, e.id FROM inbound_request_events l
         JOIN events e ON e.source = l.event_source AND e.id = l.event_id
        WHERE l.request_id IN (${rows.map(() => '?').join(', ')})
        ORDER BY e.seq`,
      rows.map((r) => r.id),
    );
    return rows.map((row) => ({
      id: row.id,
      system: row.system,
      route: row.route,
      receivedAt: String(row.received_at),
      ...(row.content_type !== null ? { contentType: row.content_type } : {}),
      headers: JSON.parse(row.headers) as Record<string, string>,
      body: row.body,
      bodyEncoding: row.body_encoding === 'base64' ? 'base64' : 'utf8',
      outcome: row.outcome as InboundRequestOutcome,
      ...(row.exception_id !== null ? { exceptionId: Number(row.exception_id) } : {}),
      events: events.filter((e) => e.request_id === row.id).map((e) => ({ id: e.id, seq: Number(e.seq) })),
      updatedAt: String(row.updated_at),
    }));
  }
}

function eventSteps(id: string, source: string, eventIds: readonly string[]): SqlStep[] {
  return [...new Set(eventIds)].map((eventId) => ({
    sql: `INSERT INTO inbound_request_events (request_id, event_source, event_id) VALUES (?, ?, ?)
          ON CONFLICT (request_id, event_source, event_id) DO NOTHING`,
    params: [id, source, eventId],
    mode: 'run' as const,
  }));
}
