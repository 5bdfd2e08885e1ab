/**
 * The outbound X12 sets (docs/edi.md): which canonical event each is made from, its GS01
 * functional id, and its mapping; and `outboundInterchange()`, which wraps mapped sets into an
 * interchange from the hub to a partner (one functional group per GS01, in order of first appearance).
 *
 * Called by the delivery engine for subscriptions with `edi: {sets: [...]}` (`connectors/edi/outbound.ts`).
 */
import type { GroupInput, InterchangeInput, PartyId, SetInput } from '../x12/index.js';
import { map810 } from './outbound-810.js';
import { map846 } from './outbound-846.js';
import { map855 } from './outbound-855.js';
import { map856 } from './outbound-856.js';
import { map865 } from './outbound-865.js';
import { map940 } from './outbound-940.js';

export * from './outbound-810.js';
export * from './outbound-846.js';
export * from './outbound-855.js';
export * from './outbound-856.js';
export * from './outbound-865.js';
export * from './outbound-940.js';
export * from './outbound-common.js';

/** Each outbound set: its GS01, the event type(s) it is made from, and its mapping. */
export const OUTBOUND_SETS = {
  '855': {
    functionalId: 'PR',
    title: 'Purchase order acknowledgement',
    eventTypes: ['com.manifold.order.milestone.v1'],
    map: map855,
  },
  '856': {
    functionalId: 'SH',
    title: 'Ship notice/manifest',
    eventTypes: ['com.manifold.order.shipped.v1'],
    map: map856,
  },
  '810': {
    functionalId: 'IN',
    title: 'Invoice',
    eventTypes: ['com.manifold.order.invoiced.v1'],
    map: map810,
  },
  '846': {
    functionalId: 'IB',
    title: 'Inventory inquiry/advice',
    eventTypes: ['com.manifold.inventory.availability.v1'],
    map: map846,
  },
  '865': {
    functionalId: 'CA',
    title: 'Purchase order change acknowledgement',
    eventTypes: ['com.manifold.order.change-acknowledged.v1'],
    map: map865,
  },
  '940': {
    functionalId: 'OW',
    title: 'Warehouse shipping order',
    eventTypes: ['com.manifold.order.released.v1'],
    map: map940,
  },
} as const;

/** The transaction set ids Manifold sends. */
export type OutboundSetId = keyof typeof OUTBOUND_SETS;

export const OUTBOUND_SET_IDS = Object.keys(OUTBOUND_SETS) as OutboundSetId[];

/** Whether `id` is an outbound set id. */
export function isOutboundSetId(id: string): id is OutboundSetId {
  return Object.hasOwn(OUTBOUND_SETS, id);
}

export interface OutboundEnvelope {
  /** The hub's `edi: {x12}` (ISA05/ISA06, GS02). */
  hub: PartyId;
  /** The partner's `x12` (ISA07/ISA08, GS03). */
  partner: PartyId;
  /** GS08, default `004010`; ISA12 follows it (`004010` → `00401`, `005010` → `00501`). */
  version?: string;
  usage?: 'P' | 'T' | 'I';
  acknowledgementRequested?: boolean;
  date?: Date;
  /** ISA13; allocated by `writeInterchange()` when absent. */
  controlNumber?: number;
}

/**
 * The interchange carrying `sets` from the hub to the partner: one GS per functional id (`PR` for 855,
 * `SH` 856, `IN` 810, `IB` 846, `OW` 940), in the order the sets come. A set of another id is refused.
 */
export function outboundInterchange(sets: readonly SetInput[], envelope: OutboundEnvelope): InterchangeInput {
  const version = envelope.version ?? '004010';
  const groups = new Map<string, SetInput[]>();
  for (const set of sets) {
    if (!isOutboundSetId(set.id)) throw new Error(`${set.id} is not an outbound transaction set`);
    const functionalId = OUTBOUND_SETS[set.id].functionalId;
    const group = groups.get(functionalId) ?? [];
    group.push(set);
    groups.set(functionalId, group);
  }
  const groupInputs: GroupInput[] = [...groups].map(([functionalId, groupSets]) => ({
    functionalId,
    version,
    sets: groupSets,
  }));
  return {
    sender: envelope.hub,
    receiver: envelope.partner,
    version: isaVersion(version),
    ...(envelope.usage ? { usage: envelope.usage } : {}),
    ...(envelope.acknowledgementRequested ? { acknowledgementRequested: true } : {}),
    ...(envelope.date ? { date: envelope.date } : {}),
    ...(envelope.controlNumber === undefined ? {} : { controlNumber: envelope.controlNumber }),
    groups: groupInputs,
  };
}

/** ISA12 for a GS08 version: its first five digits (`004010` → `00401`, `005010X222A1` → `00501`). */
export function isaVersion(gsVersion: string): string {
  const digits = /^(\d{5})/.exec(gsVersion);
  return digits?.[1] ?? '00401';
}
