/**
 * Applying the sets of one inbound interchange (docs/edi.md): each sound set is mapped (the table of
 * `inbound-sets.ts`, by ST01) to canonical events applied through the hub as the partner (ids
 * `x12-<ISA13>-<GS06>-<ST02>-<n>`, so a replay of the same set is a duplicate), then its exceptions and
 * timeline notes. A set that is not sound, not supported, or refused by its mapping or by the hub is
 * rejected: its issues go to the 997/999 and it is kept as an `edi_rejected` exception holding the
 * interchange. `FA` groups (997/999s) are matched to what the hub sent (`inbound-acks.ts`).
 */
import type { CompiledSystem } from '../../config/compiled-config.js';
import { ManifoldError } from '../../errors.js';
import type { InboundEvent, InboundHub, InboundUnit } from '../connector-port.js';
import { XREF_MISSING } from '../http/expressions.js';
import type { EdiInboundStores } from './inbound.js';
import { functionalAcknowledgements } from './inbound-acks.js';
import type { SetEffect, SetMapping } from './inbound-sets.js';
import type { MappingProblem } from './mappings/inbound-850.js';
import {
  elementIssue,
  type FunctionalGroup,
  type parseX12,
  segmentIssue,
  setIssue,
  type TransactionSet,
  valueAt,
  type X12Issue,
} from './x12/index.js';

/** One interchange being received: from whom, through which hub, and what it came to so far. */
export interface InboundRun {
  partnerName: string;
  partner: CompiledSystem;
  hub: InboundHub;
  /** The interchange's issues, for the TA1 and 997/999 (sets refused while applying add theirs). */
  issues: X12Issue[];
  /** Per set: what became of it. */
  units: InboundUnit[];
  mappings: Record<string, SetMapping>;
  /** The partner's 997/999s matched to the interchanges the hub sent. */
  acknowledgements: EdiInboundStores['edi'];
  now: () => Date;
}

export type Interchange = ReturnType<typeof parseX12>['interchanges'][number];

type Applied =
  | {
      ok: true;
      detail?: string;
      exceptions: NonNullable<SetEffect['exceptions']>;
      parked?: NonNullable<SetEffect['parked']>;
    }
  | { ok: false; detail: string; unsupported?: string; problems?: MappingProblem[]; refused?: string };

/** Applies the groups of interchange `index` (ISA13 `isaControl`) of `text`. */
export async function applyInterchange(
  run: InboundRun,
  text: string,
  interchange: Interchange,
  index: number,
  isaControl: string,
): Promise<void> {
  const { partnerName, issues, units, hub } = run;
  const interchangeText = text.slice(interchange.header.offset, interchangeEnd(text, interchange));
  for (const [groupIndex, group] of interchange.groups.entries()) {
    if (valueAt(group.header, 1) === 'FA') {
      // 997/999s answering the interchanges the hub sent: matched to `edi_outbound`, never acknowledged.
      await functionalAcknowledgements(run, group, groupIndex, index);
      continue;
    }
    if (issues.some((i) => i.interchange === index && i.group === groupIndex && i.list === 'AK905')) continue;
    for (const [setIndex, set] of group.sets.entries()) {
      const type = valueAt(set.header, 1);
      const control = valueAt(set.header, 2);
      const where = { interchange: index, group: groupIndex, set: setIndex };
      const raw = text.slice(
        set.header.offset,
        group.sets[setIndex + 1]?.header.offset ?? group.trailer?.offset ?? text.length,
      );
      const reject = async (detail: string) => {
        units.push({ control, type, outcome: 'rejected', detail });
        const codes = issues
          .filter((i) => i.interchange === index && i.group === groupIndex && i.set === setIndex)
          .map((i) => `${i.list} ${i.code}${i.element ? ` (element ${i.element})` : ''}: ${i.message}`);
        await hub.raise({
          code: 'edi_rejected',
          detail: `${type} ${control} in interchange ${isaControl} from ${partnerName} rejected: ${detail}${codes.length ? ` — ${codes.join('; ')}` : ''}`,
          system: partnerName,
          subject: `x12:${partnerName}:${isaControl}:${control}`,
          // The whole interchange (ISA…IEA): a retry re-reads the set from it with its own delimiters.
          payload: interchangeText,
        });
      };
      if (issues.some((i) => i.interchange === index && i.group === groupIndex && i.set === setIndex)) {
        await reject('the set is not sound');
        continue;
      }
      const base = { ordinal: set.header.ordinal, offset: set.header.offset, segmentId: 'ST', ...where };
      const applied = await applySet(run, group, set, isaControl);
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
      if (applied.parked !== undefined) {
        // Sound, acknowledged as accepted, and held: a retry once the table has the item applies it.
        const missing = applied.parked;
        await hub.raise({
          code: XREF_MISSING,
          detail: `${type} ${control} in interchange ${isaControl} from ${partnerName} held: ${XREF_MISSING}: cross-reference table '${missing.table}' has no key ${missing.ids.map((id) => `'${id}'`).join(' or ')}`,
          system: partnerName,
          subject: `x12:${partnerName}:${isaControl}:${control}`,
          payload: interchangeText,
        });
      }
      for (const exception of applied.exceptions) {
        await hub.raise({ ...exception, system: partnerName, payload: raw });
      }
      units.push({
        control,
        type,
        outcome: applied.parked !== undefined ? 'held' : 'applied',
        ...(applied.detail === undefined ? {} : { detail: applied.detail }),
      });
    }
  }
}

/**
 * Maps one sound set and applies its events as the partner (ids derived from ISA13, GS06 and ST02, so
 * a replay of the same set is a duplicate, never a second application).
 */
export async function applySet(
  run: InboundRun,
  group: FunctionalGroup,
  set: TransactionSet,
  isaControl: string,
): Promise<Applied> {
  const { partnerName, partner, hub } = run;
  const type = valueAt(set.header, 1);
  const control = valueAt(set.header, 2);
  const mapping = run.mappings[type];
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
  const events: InboundEvent[] = mapped.data.events.map((e, n) => ({
    id: mapping.unnumbered && mapped.data.events.length === 1 ? stem : `${stem}-${n + 1}`,
    type: e.type,
    ...(e.correlationid ? { correlationid: e.correlationid } : {}),
    extensions: { x12interchange: isaControl },
    data: e.data,
  }));
  try {
    if (events.length > 0) await hub.apply(partnerName, events);
  } catch (error) {
    if (!(error instanceof ManifoldError)) throw error;
    return { ok: false, detail: error.message, refused: error.message };
  }
  if (mapped.data.notes?.length) await hub.annotate(mapped.data.notes);
  return {
    ok: true,
    ...(mapped.data.detail === undefined ? {} : { detail: mapped.data.detail }),
    exceptions: mapped.data.exceptions ?? [],
    ...(mapped.data.parked === undefined ? {} : { parked: mapped.data.parked }),
  };
}

/** Where an interchange's text ends: after its IEA segment (its terminator included), or the text's end. */
export function interchangeEnd(text: string, interchange: { trailer?: { offset: number } }): number {
  if (!interchange.trailer) return text.length;
  const next = text.indexOf('ISA', interchange.trailer.offset + 3);
  return next === -1 ? text.length : next;
}
