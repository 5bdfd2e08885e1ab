/**
 * Previewing a mapping change over kept webhook requests (docs/connectors.md#previewing-a-mapping-change-map-diff):
 * what a route makes of one request (`mapInbound`, as the hub checks it), the structural diff of two JSON
 * values (`diffJson`) and the verdict on one kept request (`previewRequest`). Pure of I/O: the caller hands
 * in how to read the events a request produced then (`bin/manifold map diff` over HTTP, the hub's
 * `POST /v1/inbound-requests/preview` from its store).
 */
import { randomUUID } from 'node:crypto';
import type { CompiledConfig } from '../../config/compiled-config.js';
import { validateEvent } from '../../contracts/index.js';
import {
  type MappingChange,
  type MappingFailure,
  type MappingPreviewResult,
  type MappingPreviewTotals,
  VERDICTS,
} from '../../contracts/views/mapping-preview-views.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import { catalogueEntry } from '../../domain/event-catalogue.js';
import { decideOwnership } from '../../domain/ownership.js';
import type { InboundEvent } from '../connector-port.js';
import type { XrefResolver } from '../http/expressions.js';
import { inboundOf, type KeptRequest as WrittenRequest } from './connector.js';
import { MappingError, type MappingInput, mapRequest } from './mapping.js';

export type Change = MappingChange;
export type Failure = MappingFailure;
export type RequestResult = MappingPreviewResult;
export type Totals = MappingPreviewTotals;

/** A kept request as the store and `GET /v1/inbound-requests` give it (the fields the preview reads). */
export interface KeptRequest extends Omit<WrittenRequest, 'outcome' | 'eventIds'> {
  outcome: string;
  events: { id: string; seq: number }[];
}

/** The events a request produced then: type, id and data of each, in order. */
export type ProducedEvents = (request: KeptRequest) => Promise<Record<string, unknown>[]>;

/**
 * What the hub makes of one request on `routeName` of `system` under `config`, as the hub checks it: the
 * route's mapping (`mapRequest`), each event's contract and the system's ownership of its facts. `mapped`
 * says which ids the mapping gave (an event without one gets a random id, as on the hub). Shared by
 * `map test`, `map diff` and the hub's preview.
 */
export async function mapInbound(
  config: CompiledConfig,
  system: string,
  routeName: string,
  input: MappingInput,
): Promise<{ events: CloudEvent[]; mapped: InboundEvent[] } | { error: Failure }> {
  const route = inboundOf(config, system)?.routes.get(routeName);
  if (route === undefined) {
    return { error: { key: 'route', message: `system '${system}' has no inbound route '${routeName}'` } };
  }
  let mapped: InboundEvent[];
  try {
    mapped = await mapRequest(route, input);
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    return {
      error: { key: error.key, ...(error.pointer ? { pointer: error.pointer } : {}), message: error.message },
    };
  }
  const time = new Date().toISOString();
  const events: CloudEvent[] = [];
  for (const [index, event] of mapped.entries()) {
    const rule = route.emit.find((r) => r.type === event.type) ?? route.emit[0];
    const cloudEvent: CloudEvent = {
      specversion: '1.0',
      id: event.id ?? randomUUID(),
      source: `/${system}`,
      type: event.type,
      time,
      datacontenttype: 'application/json',
      data: event.data,
    };
    const [problem] = validateEvent(cloudEvent);
    if (problem !== undefined) {
      return {
        error: {
          key: problem.pointer.startsWith('/data') ? `${rule?.key}.data` : (rule?.key ?? 'route'),
          pointer: problem.pointer,
          message: `event ${index}: ${problem.detail}`,
        },
      };
    }
    const entry = catalogueEntry(event.type);
    if (entry !== undefined) {
      const decision = decideOwnership(
        { ownership: config.ownership, systems: config.systems, statusMaps: config.statusMaps },
        system,
        entry.ownership,
        event.data,
      );
      if (!decision.allowed) {
        return { error: { key: `${rule?.key}.type`, pointer: '/type', message: decision.reason } };
      }
    }
    events.push(cloudEvent);
  }
  return { events, mapped };
}

/**
 * The verdict on one kept request under `config`: mapped again, then compared with what it produced then
 * (`same` / `differs` with the changes), or `now fails` / `now accepted` / `still fails`.
 */
export async function previewRequest(
  config: CompiledConfig,
  request: KeptRequest,
  producedEvents: ProducedEvents,
  xref?: XrefResolver,
): Promise<RequestResult> {
  const base = {
    id: request.id,
    system: request.system,
    route: request.route,
    receivedAt: request.receivedAt,
    outcome: request.outcome as RequestResult['outcome'],
    ...(request.exceptionId !== undefined ? { exceptionId: request.exceptionId } : {}),
  };
  const failedBefore = request.outcome === 'parked';
  // The query string is not kept with the request: the expressions see an empty $query.
  const now = await mapInbound(config, request.system, request.route, {
    system: request.system,
    route: request.route,
    body: Buffer.from(request.body, request.bodyEncoding === 'base64' ? 'base64' : 'utf8'),
    contentType: request.contentType,
    headers: request.headers,
    query: {},
    ...(xref !== undefined ? { xref } : {}),
  });
  if ('error' in now)
    return { ...base, verdict: failedBefore ? 'still fails' : 'now fails', error: now.error };
  if (failedBefore) return { ...base, verdict: 'now accepted' };
  const before = await producedEvents(request);
  // An event whose mapping gives no id gets a random one: ids are compared only where the mapping gives one.
  const after = now.events.map((event, i) => ({
    type: event.type,
    ...(now.mapped[i]?.id !== undefined ? { id: event.id } : {}),
    data: event.data,
  }));
  const then = before.map((event, i) => {
    const { id, ...rest } = event;
    return now.mapped[i]?.id !== undefined ? event : rest;
  });
  const changes = diffJson(then, after);
  return changes.length === 0 ? { ...base, verdict: 'same' } : { ...base, verdict: 'differs', changes };
}

/** A structural diff of two JSON values: the paths (JSON pointers) added, removed or changed. */
export function diffJson(before: unknown, after: unknown, path = ''): Change[] {
  if (Object.is(before, after)) return [];
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const bothObjects = isObject(before) && isObject(after) && !Array.isArray(before) && !Array.isArray(after);
  if (!bothArrays && !bothObjects) return [{ op: 'changed', path, before, after }];
  const a = before as Record<string, unknown>;
  const b = after as Record<string, unknown>;
  const keys = bothArrays
    ? Array.from({ length: Math.max((before as unknown[]).length, (after as unknown[]).length) }, (_, i) =>
        String(i),
      )
    : [...new Set([...Object.keys(a), ...Object.keys(b)])];
  const changes: Change[] = [];
  for (const key of keys) {
    const at = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    const has = (o: Record<string, unknown>) => Object.hasOwn(o, key);
    if (!has(b)) changes.push({ op: 'removed', path: at, before: a[key] });
    else if (!has(a)) changes.push({ op: 'added', path: at, after: b[key] });
    else changes.push(...diffJson(a[key], b[key], at));
  }
  return changes;
}

function isObject(value: unknown): value is object {
  return value !== null && typeof value === 'object';
}

/** How many requests got each verdict. */
export function countVerdicts(results: RequestResult[]): Totals {
  const totals = { requests: results.length } as Totals;
  for (const verdict of VERDICTS) totals[verdict] = results.filter((r) => r.verdict === verdict).length;
  return totals;
}

export { VERDICTS };
