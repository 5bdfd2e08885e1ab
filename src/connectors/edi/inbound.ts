/**
 * The `edi` kind's inbound role (docs/edi.md): an X12 body from a trading partner, by
 * `POST /v1/edi/{partner}` or a file of its watched `x12.inbox` folder (`inbox-source.ts`).
 *
 * The interchange is parsed and validated; its ISA sender and receiver must be the calling partner and
 * the hub (else TA1 `R` and nothing is applied); an interchange already received from the partner (same
 * ISA13) is acknowledged again with the kept answer and not applied twice (the hub's `receipts`). Each
 * sound transaction set is mapped (`inbound-sets.ts`) and applied as the partner through the hub
 * (`inbound-apply.ts`); a set that is not sound, not supported or refused is rejected in the 997/999
 * (AK5/IK5 `R` with its codes) and kept as an `edi_rejected` exception holding the interchange, for an
 * operator to fix and replay. The answer is the 997 (999 for 5010 groups) and/or TA1. Groups of 997/999s
 * (`FA`) are matched to the interchanges the hub sent (`inbound-acks.ts`), never acknowledged.
 */

import { createHash } from 'node:crypto';
import type { CompiledConfig } from '../../config/compiled-config.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '../../errors.js';
import type {
  ConnectorMetrics,
  InboundConnector,
  InboundHub,
  InboundRequest,
  InboundUnit,
  ProtocolReply,
} from '../connector-port.js';
import { XREF_MISSING } from '../http/expressions.js';
import {
  applyInterchange,
  applySet,
  type InboundRun,
  type Interchange,
  interchangeEnd,
} from './inbound-apply.js';
import { type InboundSetDeps, inboundSetMappings, type SetMapping } from './inbound-sets.js';
import type { ItemTableStore } from './partner-items.js';
import {
  acknowledge,
  type ControlNumbers,
  interchangeIssue,
  parseX12,
  validateX12,
  valueAt,
  writeInterchange,
  type X12Issue,
} from './x12/index.js';

/**
 * What inbound X12 needs of the hub's store, named here so that connectors never import the store layer
 * (the hub's store satisfies it): the orders the sets name, the partner's 997/999s matched to the
 * interchanges sent (`edi_outbound`), and the control numbers of the acknowledgements (never reused).
 */
export interface EdiInboundStores {
  orders: InboundSetDeps['orders'];
  /** The cross-reference tables: the partners' item tables (docs/edi.md#item-ids). */
  xref?: ItemTableStore;
  edi: {
    recordAcknowledgement(ack: {
      partner: string;
      gsControl: number;
      stControl?: number;
      setId?: string;
      status: 'accepted' | 'rejected';
      codes: string[];
      at: string;
    }): Promise<number>;
  };
  log: { nextCounter(name: string): Promise<number> };
}

/** The request hash of interchange receipts kept before they held a content digest. */
const LEGACY_HASH = 'x12';

/**
 * The digest of an interchange's content, kept with its receipt: its text from ISA to IEA, line breaks
 * between segments left out (a resend through another transport may add or drop them).
 */
export function interchangeDigest(text: string, interchange: Interchange): string {
  const own = text.slice(interchange.header.offset, interchangeEnd(text, interchange)).replace(/[\r\n]/g, '');
  return `sha256:${createHash('sha256').update(own).digest('hex')}`;
}

/** The content type of X12 bodies and replies. */
export const X12_CONTENT_TYPE = 'application/edi-x12';

export class EdiInbound implements InboundConnector {
  readonly format = 'x12';
  readonly replays = ['edi_rejected', XREF_MISSING] as const;
  /** Its exceptions' subjects are `x12:<partner>:<ISA13>:<ST02>`. */
  readonly subjectPrefix = 'x12:';
  private readonly controlNumbers: ControlNumbers;
  /** The inbound sets, by ST01 (inbound-sets.ts). */
  private readonly mappings: Record<string, SetMapping>;

  constructor(
    private readonly config: CompiledConfig,
    private readonly stores: EdiInboundStores,
    private readonly now: () => Date = () => new Date(),
    private readonly metrics?: ConnectorMetrics,
  ) {
    this.controlNumbers = { next: (partner, kind) => stores.log.nextCounter(`x12:${partner}:${kind}`) };
    this.mappings = inboundSetMappings({
      systems: config.systems,
      units: config.units ?? {},
      orders: stores.orders,
      now,
      items: { tables: config.xref, store: stores.xref },
      ownership: config.ownership,
    });
  }

  /** Applies an X12 body from `request.caller` as `partnerName` and answers its acknowledgements. */
  async receive(partnerName: string, request: InboundRequest, hub: InboundHub): Promise<ProtocolReply> {
    const caller = request.caller;
    const partner = this.config.systems.get(partnerName);
    if (!partner?.x12)
      throw new NotFoundError(`no EDI partner '${partnerName}' (a system with x12: in the configuration)`);
    if (caller !== partnerName) {
      throw new ForbiddenError(
        'forbidden',
        `system '${caller}' cannot send interchanges as partner '${partnerName}'`,
      );
    }
    const hubId = this.config.edi?.x12;
    if (!hubId) {
      throw new ConflictError(
        'edi-not-configured',
        'EDI not configured',
        'the hub has no `edi: {x12: {id, qualifier}}` identity in its configuration',
      );
    }
    const text = request.body.toString('utf8');
    const document = parseX12(text);
    if (document.interchanges.length === 0) {
      throw new ValidationError(
        'the body holds no X12 interchange (it must start with ISA)',
        [{ pointer: '/', detail: document.issues.map((i) => i.message).join('; ') || 'no ISA segment' }],
        'not-x12',
      );
    }
    const issues: X12Issue[] = [...validateX12(document)];
    const units: InboundUnit[] = [];
    let repeated = false;
    const parts: string[] = [];
    const keys = hub.receipts;
    for (const [index, interchange] of document.interchanges.entries()) {
      const isa = interchange.header;
      const at = { ordinal: isa.ordinal, offset: isa.offset, segmentId: 'ISA', interchange: index };
      // ISA05/06 must be the calling partner, ISA07/08 the hub (TA1 note codes 005, 006, 007, 009).
      const identity = [
        [5, '005', partner.x12.qualifier, `partner ${partnerName}'s qualifier`],
        [6, '006', partner.x12.id, `partner ${partnerName}'s id`],
        [7, '007', hubId.qualifier, "the hub's qualifier"],
        [8, '009', hubId.id, "the hub's id"],
      ] as const;
      for (const [position, note, expected, what] of identity) {
        const sent = valueAt(isa, position).trim();
        if (sent !== expected) {
          issues.push(interchangeIssue(note, `ISA0${position} '${sent}' is not ${what} ${expected}`, at));
        }
      }
      const control = String(Number(valueAt(isa, 13)));
      const scope = `edi:${partnerName}`;
      const inFlight = () =>
        new ConflictError(
          'interchange-in-flight',
          'Interchange in progress',
          `interchange ${control} from ${partnerName} is being processed; send it again later`,
        );
      const resent = (stored: { body: unknown }) => {
        // A resend: acknowledged again with the first answer, nothing applied twice.
        parts.push(String(stored.body));
        repeated = true;
        units.push({
          control,
          type: 'ISA',
          outcome: 'duplicate',
          detail: `interchange ${control} was received before`,
        });
      };
      // The interchange's content digest is kept with its receipt: the same ISA13 with the same content is
      // a resend; with other content, a partner that reuses or reset its control numbers (TA1 R 025 and an
      // exception: the new interchange is not taken for a resend, nor applied under an ISA13 already used).
      const digest = interchangeDigest(text, interchange);
      let hash = digest;
      let reused = false;
      const reusedIfOther = async <T>(read: (hash: string) => Promise<T>): Promise<T | undefined> => {
        try {
          return await read(hash);
        } catch (error) {
          if (!(error instanceof UnprocessableError)) throw error;
        }
        try {
          // A receipt kept before content digests were (its hash is `x12`): read as the same content.
          const legacy = await read(LEGACY_HASH);
          hash = LEGACY_HASH;
          return legacy;
        } catch (error) {
          if (!(error instanceof UnprocessableError)) throw error;
          reused = true;
          return undefined;
        }
      };
      // In flight by a live process → 409; left in flight by a dead one → applied again (its events keep
      // their ids, so what the first attempt logged is a duplicate).
      const stored = await reusedIfOther((h) => keys.lookup(scope, control, h, inFlight));
      if (stored) {
        resent(stored);
        continue;
      }
      if (reused)
        await this.controlNumberReused(hub, partnerName, control, text, interchange, issues, at, units);
      const own = () => issues.filter((i) => i.interchange === index);
      const rejected = own().some((i) => i.list === 'TA105');
      if (!rejected) {
        const claim = await reusedIfOther((h) => keys.claim(scope, control, h, inFlight));
        if (claim?.kind === 'stored') {
          resent(claim.answer);
          continue;
        }
        if (claim === undefined) {
          // Another process kept other content under this ISA13 in between.
          await this.controlNumberReused(hub, partnerName, control, text, interchange, issues, at, units);
        }
      }
      const claimed = !own().some((i) => i.list === 'TA105');
      try {
        if (claimed) {
          const run: InboundRun = {
            partnerName,
            partner,
            hub,
            issues,
            units,
            mappings: this.mappings,
            acknowledgements: this.stores.edi,
            now: this.now,
          };
          await applyInterchange(run, text, interchange, index, control);
        }
        const single = { ...document, interchanges: [interchange] };
        const replies = acknowledge(
          single,
          own().map((i) => ({ ...i, interchange: 0 })),
          { date: this.now() },
        );
        let reply = '';
        for (const r of replies) {
          reply += await writeInterchange(r.reply, {
            controlNumbers: this.controlNumbers,
            partner: partnerName,
            newline: true,
          });
        }
        if (claimed) await keys.finish(scope, control, 200, reply);
        parts.push(reply);
      } catch (error) {
        // Not answered: the partner's resend applies it again (what was logged is a duplicate).
        if (claimed) await keys.abandon(scope, control).catch(() => undefined);
        throw error;
      }
    }
    for (const unit of units) {
      this.metrics?.document({
        partner: partnerName,
        set: unit.type,
        direction: 'in',
        outcome: unit.outcome,
      });
    }
    return { contentType: X12_CONTENT_TYPE, body: parts.join(''), status: 200, repeated, units };
  }

  /**
   * ISA13 `control` was received from the partner before with other content: the interchange is rejected
   * whole (TA1 `R`, note 025, duplicate interchange control number) and an `edi_control_number_reused`
   * exception holds it, for an operator to have the partner send it again under a new ISA13.
   */
  private async controlNumberReused(
    hub: InboundHub,
    partnerName: string,
    control: string,
    text: string,
    interchange: Interchange,
    issues: X12Issue[],
    at: { ordinal: number; offset: number; segmentId: string; interchange: number },
    units: InboundUnit[],
  ): Promise<void> {
    const detail = `interchange control number ${control} (ISA13) from ${partnerName} was used before for an interchange with other content; this one is not applied: have ${partnerName} send it again under a new ISA13 (their control numbers were reused or reset)`;
    issues.push(interchangeIssue('025', detail, at));
    units.push({ control, type: 'ISA', outcome: 'rejected', detail });
    await hub.raise({
      code: 'edi_control_number_reused',
      detail,
      system: partnerName,
      subject: `x12:${partnerName}:${control}`,
      payload: text.slice(interchange.header.offset, interchangeEnd(text, interchange)),
    });
  }

  /**
   * Applies a rejected set again (an operator's retry of its `edi_rejected` exception, after fixing the
   * cause: an item table entry, the order it names, the stock). The exception holds the whole interchange; the set
   * is found by its ISA13 and ST02 (the exception's subject). 409 when it still cannot be applied.
   */
  async replay(
    exception: { system?: string; subject?: string; payload?: string },
    hub: InboundHub,
  ): Promise<void> {
    const [, partnerName, isaControl, setControl] = (exception.subject ?? '').split(':');
    const partner = partnerName ? this.config.systems.get(partnerName) : undefined;
    if (!partner || !exception.payload || isaControl === undefined || setControl === undefined) {
      throw new ConflictError(
        'not-retryable',
        'Nothing to retry',
        'this exception holds no interchange to apply again',
      );
    }
    const document = parseX12(exception.payload);
    const run: InboundRun = {
      partnerName: partnerName as string,
      partner,
      hub,
      issues: [],
      units: [],
      mappings: this.mappings,
      acknowledgements: this.stores.edi,
      now: this.now,
    };
    for (const interchange of document.interchanges) {
      if (String(Number(valueAt(interchange.header, 13))) !== isaControl) continue;
      for (const group of interchange.groups) {
        const set = group.sets.find((s) => valueAt(s.header, 2) === setControl);
        if (!set) continue;
        const applied = await applySet(run, group, set, isaControl);
        if (!applied.ok || applied.parked !== undefined) {
          throw new ConflictError('still-failing', 'Still failing', applied.detail ?? 'still held');
        }
        for (const e of applied.exceptions) {
          await hub.raise({ ...e, system: partnerName as string, payload: exception.payload });
        }
        return;
      }
    }
    throw new ConflictError(
      'not-retryable',
      'Nothing to retry',
      `set ${setControl} of interchange ${isaControl} is not in the exception's payload`,
    );
  }
}
