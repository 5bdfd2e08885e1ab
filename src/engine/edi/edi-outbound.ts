/**
 * Outbound X12 through the delivery engine (docs/edi.md): a subscription with `edi: {sets}`
 * turns each claimed event into an interchange for its target partner — the set for the event's type,
 * mapped by the pure mappings of `connectors/edi/mappings/outbound-*.ts` (order lines from the store for
 * the 855, 856 and 810), control numbers per partner from the store — and sends it by HTTP (POST
 * `application/edi-x12`, signed, with the event's Idempotency-Key) or drops it in a folder
 * (`<partner>-<ISA13>.x12`, temp file + rename).
 *
 * What was rendered is kept per (subscription, event) in `edi_outbound` before the first attempt, and a
 * retry resends it as is: same ISA13, GS06, ST02, so the partner sees a resend and does not apply it twice.
 * A mapping problem is a permanent failure (the exception queue, the problem as the error).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type {
  CompiledConfig,
  CompiledSubscription,
  EdiOutboundSetId,
  X12PartnerDelimiters,
} from '../../config/compiled-config.js';
import {
  map810,
  map846,
  map855,
  map856,
  map940,
  OUTBOUND_SETS,
  type OutboundResult,
  outboundInterchange,
} from '../../connectors/edi/mappings/outbound.js';
import {
  assignControlNumbers,
  type FormatOptions,
  formatInterchange,
  type SetInput,
  X12WriteError,
} from '../../connectors/edi/x12/index.js';
import { idempotencyKey } from '../../connectors/http/mapping.js';
import type { DeliveryResponse, HttpConnector, TraceHeaders } from '../../connectors/http/outbound.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import type { EdiOutboundRecord } from '../../store/edi-port.js';
import type { Store } from '../../store/store-port.js';
import { StoreControlNumbers } from './edi-inbound.js';

/** The MIME type of X12 bodies. */
export const X12_CONTENT_TYPE = 'application/edi-x12';

/** What an event comes to for an EDI subscription. */
export type Rendered =
  | { kind: 'interchange'; record: EdiOutboundRecord }
  /** Nothing to send for this event (e.g. a milestone other than committed/released for an 855). */
  | { kind: 'nothing'; reason: string }
  /** The event cannot be mapped: a permanent failure. */
  | { kind: 'problem'; detail: string };

/** The set of `sets` made from events of `type`. */
export function setForType(sets: readonly EdiOutboundSetId[], type: string): EdiOutboundSetId | undefined {
  return sets.find((set) => (OUTBOUND_SETS[set].eventTypes as readonly string[]).includes(type));
}

/** The file name of a dropped interchange: `<partner>-<ISA13 with 9 digits>.x12`. */
export function dropFileName(partner: string, isa13: number): string {
  return `${partner}-${String(isa13).padStart(9, '0')}.x12`;
}

export class EdiOutbound {
  private readonly controlNumbers: StoreControlNumbers;

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly now: () => Date = () => new Date(),
    /** Told each attempt at a document: `sent`, or `failed` (unmappable, refused, not delivered). */
    private readonly onDocument?: (partner: string, set: string, outcome: 'sent' | 'failed') => void,
  ) {
    this.controlNumbers = new StoreControlNumbers(store);
  }

  /** The interchange for `event` (the kept one when rendered before), or why there is none. */
  async render(subscription: CompiledSubscription, event: CloudEvent): Promise<Rendered> {
    const kept = await this.store.edi.getOutbound(subscription.name, event.source, event.id);
    if (kept) return { kind: 'interchange', record: kept };
    const partnerName = subscription.target;
    const partner = this.config.systems.get(partnerName)?.x12;
    const hub = this.config.edi?.x12;
    if (!partner) return { kind: 'problem', detail: `target ${partnerName} has no x12: identity` };
    if (!hub) return { kind: 'problem', detail: 'the hub has no edi: {x12: {id, qualifier}} identity' };
    const setId = setForType(subscription.edi?.sets ?? [], event.type);
    if (!setId) {
      return {
        kind: 'problem',
        detail: `no X12 set of subscription ${subscription.name} (${(subscription.edi?.sets ?? []).join(', ')}) is made from ${event.type}`,
      };
    }
    const date = this.now();
    const mapped = await this.map(setId, event, partnerName, date);
    if ('nothing' in mapped) return { kind: 'nothing', reason: mapped.nothing };
    if (!mapped.ok) {
      return {
        kind: 'problem',
        detail: `cannot map ${event.type} ${event.id} to an X12 ${setId}: ${mapped.problems.map((p) => `${p.field}: ${p.detail}`).join('; ')}`,
      };
    }
    // GS08 from the partner's ISA12 (`00401` → `004010`), default 004010.
    const version = partner.version ? `${partner.version}0` : '004010';
    let body: string;
    let numbers: { isa13: number; gsControl: number; stControl: number };
    try {
      const input = await assignControlNumbers(
        outboundInterchange([mapped.data], {
          hub,
          partner: { qualifier: partner.qualifier, id: partner.id },
          version,
          date,
        }),
        this.controlNumbers,
        partnerName,
      );
      const group = input.groups[0];
      numbers = {
        isa13: input.controlNumber ?? 0,
        gsControl: group?.controlNumber ?? 0,
        stControl: group?.sets[0]?.controlNumber ?? 0,
      };
      body = formatInterchange(input, formatOptions(partner.delimiters));
    } catch (error) {
      if (error instanceof X12WriteError)
        return { kind: 'problem', detail: `cannot write the ${setId}: ${error.message}` };
      throw error;
    }
    const record = await this.store.edi.saveOutbound({
      subscription: subscription.name,
      eventSource: event.source,
      eventId: event.id,
      partner: partnerName,
      setId,
      ...numbers,
      body,
      createdAt: date.toISOString(),
    });
    return { kind: 'interchange', record };
  }

  /** One attempt to deliver `event` for an EDI subscription, by HTTP (with `trace` headers) or a folder drop. */
  async send(
    subscription: CompiledSubscription,
    event: CloudEvent,
    connector: HttpConnector,
    trace?: TraceHeaders,
  ): Promise<DeliveryResponse> {
    const response = await this.attempt(subscription, event, connector, trace);
    const set = setForType(subscription.edi?.sets ?? [], event.type);
    if (set && !response.nothingToSend) {
      this.onDocument?.(subscription.target, set, response.outcome === 'delivered' ? 'sent' : 'failed');
    }
    return response;
  }

  private async attempt(
    subscription: CompiledSubscription,
    event: CloudEvent,
    connector: HttpConnector,
    trace?: TraceHeaders,
  ): Promise<DeliveryResponse & { nothingToSend?: true }> {
    const started = performance.now();
    const rendered = await this.render(subscription, event);
    if (rendered.kind === 'problem')
      return { outcome: 'permanent', latencyMs: performance.now() - started, error: rendered.detail };
    if (rendered.kind === 'nothing')
      return {
        outcome: 'delivered',
        latencyMs: 0,
        bodyExcerpt: `not sent: ${rendered.reason}`,
        nothingToSend: true,
      };
    const { record } = rendered;
    if (subscription.http) {
      return connector.sendBody(
        subscription.http,
        {
          contentType: X12_CONTENT_TYPE,
          body: record.body,
          idempotencyKey: idempotencyKey([event]),
          ...(trace ? { trace } : {}),
        },
        this.now(),
      );
    }
    if (subscription.dir) {
      try {
        await dropFile(subscription.dir.path, dropFileName(record.partner, record.isa13), record.body);
        return { outcome: 'delivered', latencyMs: performance.now() - started };
      } catch (error) {
        return {
          outcome: 'retryable',
          latencyMs: performance.now() - started,
          error: `cannot write to ${subscription.dir.path}: ${(error as Error).message}`,
        };
      }
    }
    return { outcome: 'permanent', latencyMs: 0, error: 'the subscription has neither http nor dir' };
  }

  private async map(
    setId: EdiOutboundSetId,
    event: CloudEvent,
    partner: string,
    date: Date,
  ): Promise<OutboundResult<SetInput> | { nothing: string }> {
    const data = (event.data ?? {}) as Record<string, unknown>;
    const context = { date, partner };
    const orderOf = async () => {
      const orderId = typeof data.orderId === 'string' ? data.orderId : undefined;
      return orderId === undefined ? undefined : await this.store.orders.getOrder(orderId);
    };
    const noOrder: OutboundResult<SetInput> = {
      ok: false,
      problems: [{ field: 'orderId', detail: `no order '${String(data.orderId)}' in the hub` }],
    };
    switch (setId) {
      case '855': {
        if (!['committed', 'released'].includes(String(data.milestone)))
          return { nothing: `an 855 is sent at committed or released, not at ${String(data.milestone)}` };
        // One acknowledgement per order: at committed, or at released when committed was skipped.
        if (data.milestone === 'released' && data.previous === 'committed')
          return { nothing: 'the 855 was sent at committed' };
        const order = await orderOf();
        return map855(data as unknown as Parameters<typeof map855>[0], {
          ...context,
          ...(order ? { order: { lines: order.document.lines } } : {}),
        });
      }
      case '856': {
        const order = await orderOf();
        if (!order) return noOrder;
        return map856(data as unknown as Parameters<typeof map856>[0], {
          ...context,
          order: { lines: order.document.lines },
        });
      }
      case '810': {
        const order = await orderOf();
        if (!order) return noOrder;
        return map810(data as unknown as Parameters<typeof map810>[0], {
          ...context,
          order: { lines: order.document.lines, date: order.createdAt },
        });
      }
      case '846':
        return map846(data as unknown as Parameters<typeof map846>[0], context);
      case '940':
        return map940(data as unknown as Parameters<typeof map940>[0], context);
    }
  }
}

/** The writer's options for a partner's `delimiters:` (a newline after each segment unless `newline: false`). */
export function formatOptions(delimiters: X12PartnerDelimiters | undefined): FormatOptions {
  const { newline = true, ...chars } = delimiters ?? {};
  return Object.keys(chars).length > 0 ? { newline, delimiters: chars } : { newline };
}

/** Writes `name` in `dir` atomically: a temp file in the same folder, then a rename over the name. */
async function dropFile(dir: string, name: string, body: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${name}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await writeFile(temp, body, { encoding: 'utf8', flush: true });
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
