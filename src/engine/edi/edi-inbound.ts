/**
 * (Over 400 lines: the inbound X12 protocol — envelope checks, interchange idempotency, acknowledgements,
 * rejection records — which is next to move behind the connector port's inbound role; the set table
 * already lives in `connectors/edi/inbound-sets.ts`.)
 *
 * Inbound X12 from a trading partner (docs/edi.md): `POST /v1/edi/{partner}`.
 *
 * The interchange is parsed and validated; its ISA sender and receiver must be the calling partner and
 * the hub (else TA1 `R` and nothing is applied); an interchange already received from the partner (same
 * ISA13) is acknowledged again with the stored answer and not applied twice. Each sound transaction set is
 * mapped (a table by ST01: 850, 945, 214, 846; docs/edi.md *Mappings*) to canonical events ingested as the
 * partner (source `/<partner>`, ids `x12-<ISA13>-<GS06>-<ST02>-<n>`), so ownership, contracts,
 * idempotency and delivery apply as to any other event; an 850 becomes an order through the same path
 * as `POST /v1/orders`, a 945 a shipment, a 214 a delivery or `carrier_exception` exceptions, an 846
 * incoming stock. A set that is not sound, not supported or refused by the mapping or the ingest is
 * rejected in the 997/999 (AK5/IK5 `R` with its codes) and kept as an `edi_rejected` exception holding
 * the raw set, for an operator to fix and replay. The answer is the 997 (999 for 5010 groups) and/or TA1.
 * Groups of 997/999s (`FA`) are not acknowledged: their AK1/AK2/AK5(IK5)/AK9 are matched to the
 * interchanges the hub sent (`edi_outbound`) and recorded as accepted or rejected with their codes.
 */
import type { CompiledConfig, CompiledSystem } from '../../config/compiled-config.js';
import { inboundSetMappings, type SetEffect, type SetMapping } from '../../connectors/edi/inbound-sets.js';
import type { MappingProblem } from '../../connectors/edi/mappings/inbound-850.js';
import {
  acknowledge,
  type ControlNumberKind,
  type ControlNumbers,
  elementIssue,
  type FunctionalGroup,
  interchangeIssue,
  parseX12,
  segmentIssue,
  setIssue,
  type TransactionSet,
  validateX12,
  valueAt,
  writeInterchange,
  type X12Issue,
} from '../../connectors/edi/x12/index.js';
import type { CloudEvent } from '../../domain/cloud-event.js';
import {
  ConflictError,
  ForbiddenError,
  ManifoldError,
  NotFoundError,
  ValidationError,
} from '../../errors.js';
import type { Store } from '../../store/store-port.js';
import type { IdempotencyKeys, StoredAnswer } from '../idempotency-keys.js';
import type { IngestService } from '../ingest-service.js';
import type { TraceContext } from '../observability/trace-context.js';

/** Control numbers of the hub's outbound interchanges, per partner and kind, from the store: never reused. */
export class StoreControlNumbers implements ControlNumbers {
  constructor(private readonly store: Store) {}
  next(partner: string, kind: ControlNumberKind): Promise<number> {
    return this.store.log.nextCounter(`x12:${partner}:${kind}`);
  }
}

export interface EdiAnswer {
  /** The acknowledgements (TA1, 997/999), as X12 text. */
  body: string;
  /** True when this is the stored answer to an interchange received before. */
  resent: boolean;
  /** Per set: what became of it. */
  sets: { control: string; type: string; outcome: 'applied' | 'rejected' | 'duplicate'; detail?: string }[];
}

export class EdiInbound {
  private readonly controlNumbers: ControlNumbers;

  /** The inbound sets, by ST01 (connectors/edi/inbound-sets.ts). */
  private readonly mappings: Record<string, SetMapping>;

  /** Told every answer (metrics: sets in by partner, set and outcome). */
  onAnswer?: (partner: string, answer: EdiAnswer) => void;

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly ingest: IngestService,
    /** The hub's Idempotency-Keys: an interchange's control number is its key. */
    private readonly keys: IdempotencyKeys,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.controlNumbers = new StoreControlNumbers(store);
    this.mappings = inboundSetMappings({
      systems: config.systems,
      units: config.units ?? {},
      orders: store.orders,
      now,
    });
  }

  /**
   * Applies an X12 body from `caller` as `partnerName` and answers its acknowledgements. The events of
   * its sets share one trace: a child of `incoming` (the request's), a `receive x12` span when tracing.
   */
  async receive(
    caller: string,
    partnerName: string,
    body: Buffer,
    incoming?: TraceContext,
  ): Promise<EdiAnswer> {
    const work = this.ingest.tracing.startWork('receive x12', incoming, {
      'manifold.system': caller,
      'manifold.partner': partnerName,
    });
    try {
      const answer = await this.receiveTraced(caller, partnerName, body, work.trace);
      work.end();
      return answer;
    } catch (error) {
      work.end(error);
      throw error;
    }
  }

  private async receiveTraced(
    caller: string,
    partnerName: string,
    body: Buffer,
    trace: TraceContext,
  ): Promise<EdiAnswer> {
    const partner = this.config.systems.get(partnerName);
    if (!partner?.x12)
      throw new NotFoundError(`no EDI partner '${partnerName}' (a system with x12: in the configuration)`);
    if (caller !== partnerName) {
      throw new ForbiddenError(
        'forbidden',
        `system '${caller}' cannot send interchanges as partner '${partnerName}'`,
      );
    }
    const hub = this.config.edi?.x12;
    if (!hub) {
      throw new ConflictError(
        'edi-not-configured',
        'EDI not configured',
        'the hub has no `edi: {x12: {id, qualifier}}` identity in its configuration',
      );
    }
    const text = body.toString('utf8');
    const document = parseX12(text);
    if (document.interchanges.length === 0) {
      throw new ValidationError(
        'the body holds no X12 interchange (it must start with ISA)',
        [{ pointer: '/', detail: document.issues.map((i) => i.message).join('; ') || 'no ISA segment' }],
        'not-x12',
      );
    }
    const issues: X12Issue[] = [...validateX12(document)];
    const answer: EdiAnswer = { body: '', resent: false, sets: [] };
    const parts: string[] = [];
    for (const [index, interchange] of document.interchanges.entries()) {
      const isa = interchange.header;
      const at = { ordinal: isa.ordinal, offset: isa.offset, segmentId: 'ISA', interchange: index };
      // ISA05/06 must be the calling partner, ISA07/08 the hub (TA1 note codes 005, 006, 007, 009).
      const identity = [
        [5, '005', partner.x12.qualifier, `partner ${partnerName}'s qualifier`],
        [6, '006', partner.x12.id, `partner ${partnerName}'s id`],
        [7, '007', hub.qualifier, "the hub's qualifier"],
        [8, '009', hub.id, "the hub's id"],
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
      const resent = (stored: StoredAnswer) => {
        // A resend: acknowledged again with the first answer, nothing applied twice.
        parts.push(String(stored.body));
        answer.resent = true;
        answer.sets.push({
          control,
          type: 'ISA',
          outcome: 'duplicate',
          detail: `interchange ${control} was received before`,
        });
      };
      // In flight by a live process → 409; left in flight by a dead one → applied again (its events keep
      // their ids, so what the first attempt logged is a duplicate).
      const stored = await this.keys.lookup(scope, control, 'x12', inFlight);
      if (stored) {
        resent(stored);
        continue;
      }
      const own = () => issues.filter((i) => i.interchange === index);
      const rejected = own().some((i) => i.list === 'TA105');
      if (!rejected) {
        const claim = await this.keys.claim(scope, control, 'x12', inFlight);
        if (claim.kind === 'stored') {
          resent(claim.answer);
          continue;
        }
      }
      try {
        if (!rejected) {
          await this.applyInterchange(
            partnerName,
            partner,
            text,
            document.interchanges[index] as typeof interchange,
            index,
            issues,
            answer,
            control,
            trace,
          );
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
        if (!rejected) await this.keys.finish(scope, control, 200, reply);
        parts.push(reply);
      } catch (error) {
        // Not answered: the partner's resend applies it again (what was logged is a duplicate).
        if (!rejected) await this.keys.abandon(scope, control).catch(() => undefined);
        throw error;
      }
    }
    answer.body = parts.join('');
    this.onAnswer?.(partnerName, answer);
    return answer;
  }

  private async applyInterchange(
    partnerName: string,
    partner: CompiledSystem,
    text: string,
    interchange: ReturnType<typeof parseX12>['interchanges'][number],
    index: number,
    issues: X12Issue[],
    answer: EdiAnswer,
    isaControl: string,
    trace: TraceContext,
  ): Promise<void> {
    const interchangeText = text.slice(interchange.header.offset, interchangeEnd(text, interchange));
    for (const [groupIndex, group] of interchange.groups.entries()) {
      if (valueAt(group.header, 1) === 'FA') {
        // 997/999s answering the interchanges the hub sent: matched to `edi_outbound`, never acknowledged.
        await this.functionalAcknowledgements(partnerName, group, groupIndex, index, issues, answer);
        continue;
      }
      if (issues.some((i) => i.interchange === index && i.group === groupIndex && i.list === 'AK905'))
        continue;
      for (const [setIndex, set] of group.sets.entries()) {
        const type = valueAt(set.header, 1);
        const control = valueAt(set.header, 2);
        const where = { interchange: index, group: groupIndex, set: setIndex };
        const raw = text.slice(
          set.header.offset,
          group.sets[setIndex + 1]?.header.offset ?? group.trailer?.offset ?? text.length,
        );
        const reject = async (detail: string) => {
          answer.sets.push({ control, type, outcome: 'rejected', detail });
          const codes = issues
            .filter((i) => i.interchange === index && i.group === groupIndex && i.set === setIndex)
            .map((i) => `${i.list} ${i.code}${i.element ? ` (element ${i.element})` : ''}: ${i.message}`);
          await this.store.delivery.createException({
            code: 'edi_rejected',
            detail: `${type} ${control} in interchange ${isaControl} from ${partnerName} rejected: ${detail}${codes.length ? ` — ${codes.join('; ')}` : ''}`,
            system: partnerName,
            subject: `x12:${partnerName}:${isaControl}:${control}`,
            // The whole interchange (ISA…IEA): a retry re-reads the set from it with its own delimiters.
            payload: interchangeText,
            at: this.now().toISOString(),
          });
        };
        if (issues.some((i) => i.interchange === index && i.group === groupIndex && i.set === setIndex)) {
          await reject('the set is not sound');
          continue;
        }
        const base = { ordinal: set.header.ordinal, offset: set.header.offset, segmentId: 'ST', ...where };
        const applied = await this.applySet(partnerName, partner, group, set, isaControl, trace);
        if (!applied.ok) {
          if (applied.unsupported) issues.push(setIssue('1', applied.unsupported, base));
          for (const p of applied.problems ?? []) {
            const segment = set.segments.find((s) => s.ordinal === p.ordinal) ?? set.header;
            const at = {
              ordinal: p.ordinal,
              offset: segment.offset,
              segmentId: p.segment,
              ...where,
              positionInSet: p.ordinal - set.header.ordinal + 1,
            };
            issues.push(
              p.element === undefined
                ? segmentIssue('3', p.detail, at)
                : elementIssue('7', p.detail, { ...at, element: p.element }),
            );
          }
          if (applied.refused) issues.push(setIssue('5', applied.refused, base));
          await reject(applied.detail);
          continue;
        }
        for (const exception of applied.exceptions) {
          await this.store.delivery.createException({
            ...exception,
            system: partnerName,
            payload: raw,
            at: this.now().toISOString(),
          });
        }
        answer.sets.push({ control, type, outcome: 'applied', detail: applied.detail });
      }
    }
  }

  /**
   * Maps one sound set and ingests its events as the partner (ids derived from ISA13, GS06 and ST02, so
   * a replay of the same set is a duplicate, never a second application).
   */
  private async applySet(
    partnerName: string,
    partner: CompiledSystem,
    group: FunctionalGroup,
    set: TransactionSet,
    isaControl: string,
    trace?: TraceContext,
  ): Promise<
    | { ok: true; detail?: string; exceptions: NonNullable<SetEffect['exceptions']> }
    | { ok: false; detail: string; unsupported?: string; problems?: MappingProblem[]; refused?: string }
  > {
    const type = valueAt(set.header, 1);
    const control = valueAt(set.header, 2);
    const mapping = this.mappings[type];
    if (!mapping) {
      const unsupported = `transaction set ${type} is not accepted inbound from ${partnerName}`;
      return { ok: false, detail: `set ${type} not supported inbound`, unsupported };
    }
    const mapped = await mapping.map(set, partnerName, partner);
    if (!mapped.ok) {
      return {
        ok: false,
        detail: mapped.problems.map((p) => p.detail).join('; '),
        problems: mapped.problems,
      };
    }
    const stem = `x12-${isaControl}-${Number(valueAt(group.header, 6))}-${control}`;
    const events: CloudEvent[] = mapped.data.events.map((e, n) => ({
      specversion: '1.0',
      id: mapping.unnumbered && mapped.data.events.length === 1 ? stem : `${stem}-${n + 1}`,
      source: `/${partnerName}`,
      type: e.type,
      time: this.now().toISOString(),
      datacontenttype: 'application/json',
      ...(e.correlationid ? { correlationid: e.correlationid } : {}),
      x12interchange: isaControl,
      data: e.data,
    }));
    try {
      if (events.length > 0) await this.ingest.ingest(partnerName, events, false, trace);
    } catch (error) {
      if (!(error instanceof ManifoldError)) throw error;
      return { ok: false, detail: error.message, refused: error.message };
    }
    if (mapped.data.notes?.length) {
      const at = this.now().toISOString();
      // Timeline notes without a log event of their own (event position 0): shown in time order.
      await this.store.orders.commit({
        events: [],
        movements: [],
        orders: [],
        annotations: mapped.data.notes.map((n) => ({
          orderId: n.orderId,
          eventSeq: 0,
          inferred: [],
          late: false,
          note: n.note,
          at,
        })),
        exceptions: [],
        at,
      });
    }
    return {
      ok: true,
      ...(mapped.data.detail === undefined ? {} : { detail: mapped.data.detail }),
      exceptions: mapped.data.exceptions ?? [],
    };
  }

  /**
   * Applies a rejected set again (an operator's retry of its `edi_rejected` exception, after fixing the
   * cause: an item map, the order it names, the stock). The exception holds the whole interchange; the set
   * is found by its ISA13 and ST02 (the exception's subject). 409 when it still cannot be applied.
   */
  async replay(exception: { system?: string; subject?: string; payload?: string }): Promise<void> {
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
    for (const interchange of document.interchanges) {
      if (String(Number(valueAt(interchange.header, 13))) !== isaControl) continue;
      for (const group of interchange.groups) {
        const set = group.sets.find((s) => valueAt(s.header, 2) === setControl);
        if (!set) continue;
        const applied = await this.applySet(partnerName as string, partner, group, set, isaControl);
        if (!applied.ok) throw new ConflictError('still-failing', 'Still failing', applied.detail);
        for (const e of applied.exceptions) {
          await this.store.delivery.createException({
            ...e,
            system: partnerName as string,
            payload: exception.payload,
            at: this.now().toISOString(),
          });
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

  /**
   * A partner's 997/999 group: AK1 (GS01, GS06 of the hub's group), per set AK2 (ST01, ST02) and its
   * AK5/IK5 (`A`/`E` accepted; `R`, `M`, `W`, `X` rejected, with AK502–AK506), and AK9 for a group
   * answered without AK2s. Each verdict is recorded on the partner's `edi_outbound` rows it names.
   */
  private async functionalAcknowledgements(
    partnerName: string,
    group: ReturnType<typeof parseX12>['interchanges'][number]['groups'][number],
    groupIndex: number,
    index: number,
    issues: X12Issue[],
    answer: EdiAnswer,
  ): Promise<void> {
    const at = this.now().toISOString();
    for (const [setIndex, set] of group.sets.entries()) {
      const type = valueAt(set.header, 1);
      const control = valueAt(set.header, 2);
      if (issues.some((i) => i.interchange === index && i.group === groupIndex && i.set === setIndex)) {
        answer.sets.push({ control, type, outcome: 'rejected', detail: 'the acknowledgement is not sound' });
        continue;
      }
      const notes: string[] = [];
      let gsControl: number | undefined;
      let current: { setId: string; stControl: number } | undefined;
      let setsSeen = 0;
      const codesOf = (segment: (typeof set.segments)[number], from: number, to: number) => {
        const codes: string[] = [];
        for (let n = from; n <= to; n++) {
          const code = valueAt(segment, n).trim();
          if (code) codes.push(code);
        }
        return codes;
      };
      const record = async (
        verdict: string,
        codes: string[],
        target: { setId?: string; stControl?: number },
      ) => {
        if (gsControl === undefined || Number.isNaN(gsControl)) return;
        const status = ['A', 'E'].includes(verdict)
          ? 'accepted'
          : ['R', 'M', 'W', 'X'].includes(verdict)
            ? 'rejected'
            : undefined;
        const what = `group ${gsControl}${target.stControl === undefined ? '' : ` set ${target.setId ?? ''} ${target.stControl}`}`;
        if (!status) {
          notes.push(`${what}: ${verdict || 'no'} status not recorded`);
          return;
        }
        const matched = await this.store.edi.recordAcknowledgement({
          partner: partnerName,
          gsControl,
          ...(target.stControl === undefined ? {} : { stControl: target.stControl }),
          ...(target.setId ? { setId: target.setId } : {}),
          status,
          codes,
          at,
        });
        notes.push(
          matched > 0
            ? `${what} ${status}${codes.length ? ` (${codes.join(', ')})` : ''}`
            : `${what}: no interchange sent to ${partnerName} matches`,
        );
      };
      for (const segment of set.segments) {
        switch (segment.id) {
          case 'AK1':
            gsControl = Number(valueAt(segment, 2));
            break;
          case 'AK2':
            current = { setId: valueAt(segment, 1), stControl: Number(valueAt(segment, 2)) };
            setsSeen += 1;
            break;
          case 'AK5':
          case 'IK5':
            if (current) await record(valueAt(segment, 1), codesOf(segment, 2, 6), current);
            current = undefined;
            break;
          case 'AK9':
            // Without AK2s the group's verdict stands for all its sets.
            if (setsSeen === 0) await record(valueAt(segment, 1), codesOf(segment, 5, 9), {});
            break;
        }
      }
      answer.sets.push({
        control,
        type,
        outcome: 'applied',
        detail: notes.join('; ') || 'no AK1/AK2 to match',
      });
    }
  }
}

/** Where an interchange's text ends: after its IEA segment (its terminator included), or the text's end. */
function interchangeEnd(text: string, interchange: { trailer?: { offset: number } }): number {
  if (!interchange.trailer) return text.length;
  const next = text.indexOf('ISA', interchange.trailer.offset + 3);
  return next === -1 ? text.length : next;
}
