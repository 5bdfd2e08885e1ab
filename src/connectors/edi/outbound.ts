/**
 * Outbound X12 (the `edi` connector's outbound role): a subscription with `edi: {sets}` turns each claimed
 * event into an interchange for its target partner — the set for the event's type, mapped through the set
 * dispatch table (`outbound-sets.ts`, order lines from the store for the 855, 856 and 810), control
 * numbers per partner from the store — and hands it to its transport: HTTP (POST `application/edi-x12`,
 * signed, with the event's Idempotency-Key) or a folder drop (`<partner>-<ISA13>.x12`, temp file + rename).
 *
 * What was rendered is kept per (subscription, event) in `edi_outbound` before the first attempt, and a
 * retry resends it as is: same ISA13, GS06, ST02, so the partner sees a resend and does not apply it twice.
 * A mapping problem is a permanent failure (the exception queue, the problem as the error).
 */
import { performance } from 'node:perf_hooks';
import type {
  CompiledConfig,
  CompiledSubscription,
  EdiOutboundSetId,
  X12PartnerDelimiters,
} from '../../config/compiled-config.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import type { OutboundResult, TraceHeaders, Transport } from '../connector-port.js';
import { idempotencyKey } from '../http/mapping.js';
import { OUTBOUND_SETS, outboundInterchange } from './mappings/outbound.js';
import { type OrderFacts, OUTBOUND_SET_MAPPERS } from './outbound-sets.js';
import { type ItemTableStore, partnerItemIds } from './partner-items.js';
import {
  assignControlNumbers,
  type ControlNumberKind,
  type FormatOptions,
  formatInterchange,
  X12WriteError,
} from './x12/index.js';

/** The MIME type of X12 bodies. */
export const X12_CONTENT_TYPE = 'application/edi-x12';

/** An interchange kept for one event of one subscription (a row of `edi_outbound`). */
export interface KeptInterchange {
  subscription: string;
  eventSource: string;
  eventId: string;
  partner: string;
  setId: string;
  isa13: number;
  gsControl: number;
  stControl: number;
  body: string;
  createdAt: string;
}

/** What outbound X12 needs of the hub's store (the store satisfies it). */
export interface EdiOutboundStores {
  /** The cross-reference tables: the partners' item tables, read in reverse (docs/edi.md#item-ids). */
  xref?: ItemTableStore;
  edi: {
    getOutbound(
      subscription: string,
      eventSource: string,
      eventId: string,
    ): Promise<KeptInterchange | undefined>;
    /** Keeps `row` unless one is kept for its (subscription, event) already; returns the kept one. */
    saveOutbound(row: KeptInterchange): Promise<KeptInterchange>;
  };
  orders: { getOrder(orderId: string): Promise<OrderFacts | undefined> };
  /** Control numbers come from the store's counters (`x12:<partner>:<kind>`). */
  log: { nextCounter(name: string): Promise<number> };
}

/** What an event comes to for an EDI subscription. */
export type Rendered =
  | { kind: 'interchange'; record: KeptInterchange }
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
  private readonly controlNumbers: { next(partner: string, kind: ControlNumberKind): Promise<number> };

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: EdiOutboundStores,
    private readonly now: () => Date = () => new Date(),
    /** Told each attempt at a document: `sent`, or `failed` (unmappable, refused, not delivered). */
    private readonly onDocument?: (partner: string, set: string, outcome: 'sent' | 'failed') => void,
  ) {
    this.controlNumbers = {
      next: (partner, kind) => store.log.nextCounter(`x12:${partner}:${kind}`),
    };
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
    const data = (event.data ?? {}) as Record<string, unknown>;
    const remitTo = this.config.edi?.remitTo;
    const mapped = await OUTBOUND_SET_MAPPERS[setId](data, {
      date,
      partner: partnerName,
      ...(partner.units ? { units: partner.units } : {}),
      unitTable: this.config.units ?? {},
      ...(remitTo ? { remitTo } : {}),
      partnerItems: (skus) =>
        partnerItemIds({ tables: this.config.xref, store: this.store.xref }, partner, skus),
      order: async () => {
        const orderId = typeof data.orderId === 'string' ? data.orderId : undefined;
        return orderId === undefined ? undefined : await this.store.orders.getOrder(orderId);
      },
    });
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

  /** One attempt to deliver `event` for an EDI subscription over `transport` (HTTP with `trace`, a folder). */
  async send(
    subscription: CompiledSubscription,
    event: CloudEvent,
    transport: Transport,
    trace: TraceHeaders = {},
  ): Promise<OutboundResult> {
    const response = await this.attempt(subscription, event, transport, trace);
    const set = setForType(subscription.edi?.sets ?? [], event.type);
    if (set && !response.nothingToSend) {
      this.onDocument?.(subscription.target, set, response.outcome === 'delivered' ? 'sent' : 'failed');
    }
    return response;
  }

  private async attempt(
    subscription: CompiledSubscription,
    event: CloudEvent,
    transport: Transport,
    trace: TraceHeaders,
  ): Promise<OutboundResult & { nothingToSend?: true }> {
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
    const result = await transport.carry(
      {
        contentType: X12_CONTENT_TYPE,
        body: record.body,
        idempotencyKey: idempotencyKey([event]),
        fileName: dropFileName(record.partner, record.isa13),
      },
      trace,
    );
    // The partner answers with a 997/999 later; when one is expected within a time, it is still to come.
    const expectsAck = this.config.systems.get(subscription.target)?.x12?.ackWithinMinutes !== undefined;
    return result.outcome === 'delivered' && expectsAck ? { ...result, acknowledgement: 'pending' } : result;
  }
}

/** The writer's options for a partner's `delimiters:` (a newline after each segment unless `newline: false`). */
export function formatOptions(delimiters: X12PartnerDelimiters | undefined): FormatOptions {
  const { newline = true, ...chars } = delimiters ?? {};
  return Object.keys(chars).length > 0 ? { newline, delimiters: chars } : { newline };
}
