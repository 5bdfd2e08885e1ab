/**
 * The `edi` kind's acknowledgement deadline (docs/edi.md, `x12.ackWithinMinutes`): a scheduled source per
 * partner that has one, named `edi-acks:<partner>`, run every minute by one process at a time (the hub's
 * scheduled-source machinery: a lease, back-off, its status in `/readyz` and the console).
 *
 * An interchange sent to the partner and still without a 997/999 that long after it was sent opens one
 * `edi_unacknowledged` exception (subject `x12:<partner>:<ISA13>`, never twice, not again after an
 * operator resolved it); a 997/999 matched later resolves it (by `manifold`). It reads what was sent and
 * the exception queue through the narrow stores below (the hub's store satisfies them), and applies no
 * events.
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import type { ConnectorContext, SourceConnector } from '../connector-port.js';

export const EDI_UNACKNOWLEDGED = 'edi_unacknowledged';

/** How often the deadline is checked. */
export const ACK_CHECK_EVERY_MS = 60_000;

/** Most unacknowledged interchanges looked at per partner and pass. */
const CHECK_LIMIT = 1000;

/** The subject of an interchange's exception. */
export function interchangeSubject(partner: string, isa13: number): string {
  return `x12:${partner}:${String(isa13).padStart(9, '0')}`;
}

/** An interchange kept as sent (the `edi_outbound` row). */
interface SentSet {
  subscription: string;
  eventSource: string;
  eventId: string;
  setId: string;
  isa13: number;
  stControl: number;
  body: string;
  createdAt: string;
}

/** What the deadline check needs of the hub's store. */
export interface EdiAckStores {
  edi: {
    /** Interchanges of `partner` without a 997/999, created before `unacknowledgedBefore`. */
    listOutbound(query: { partner: string; unacknowledgedBefore: string; limit: number }): Promise<SentSet[]>;
  };
  delivery: {
    listExceptions(query: {
      code: string;
      subject?: string;
      system?: string;
      status?: 'open';
      limit: number;
    }): Promise<{ id: number; subject?: string }[]>;
    createException(exception: {
      code: string;
      detail: string;
      system: string;
      subscription: string;
      eventId: string;
      subject: string;
      payload: string;
      at: string;
    }): Promise<unknown>;
    resolveException(id: number, actor: { who: string; at: string; note: string }): Promise<unknown>;
  };
}

/** The partners with `ackWithinMinutes`, and their deadline. */
function ackPartners(config: CompiledConfig): Array<[string, number]> {
  return [...config.systems.values()].flatMap((s) =>
    s.x12?.ackWithinMinutes ? [[s.name, s.x12.ackWithinMinutes] as [string, number]] : [],
  );
}

/** One scheduled source per partner with an acknowledgement deadline. */
export function ediAckSources(context: ConnectorContext): SourceConnector[] {
  const stores = context.stores as EdiAckStores;
  return ackPartners(context.config).map(([partner, minutes]) => ({
    name: `edi-acks:${partner}`,
    system: partner,
    everyMs: ACK_CHECK_EVERY_MS,
    labels: { system: partner, poll: 'acknowledgements' },
    pull: () => checkAcknowledgements(stores, partner, minutes, context.now()),
  }));
}

/**
 * Opens an exception per overdue interchange of `partner`, and resolves those answered since; answers
 * how many it opened.
 */
export async function checkAcknowledgements(
  stores: EdiAckStores,
  partner: string,
  minutes: number,
  now: Date,
): Promise<number> {
  const overdue = await stores.edi.listOutbound({
    partner,
    unacknowledgedBefore: new Date(now.getTime() - minutes * 60_000).toISOString(),
    limit: CHECK_LIMIT,
  });
  const byInterchange = new Map<number, SentSet[]>();
  for (const record of overdue) {
    const list = byInterchange.get(record.isa13) ?? [];
    list.push(record);
    byInterchange.set(record.isa13, list);
  }
  let opened = 0;
  for (const [isa13, records] of byInterchange) {
    const subject = interchangeSubject(partner, isa13);
    const [known] = await stores.delivery.listExceptions({ code: EDI_UNACKNOWLEDGED, subject, limit: 1 });
    const first = records[0];
    if (known || !first) continue;
    const sets = records.map((r) => `${r.setId} ${String(r.stControl).padStart(4, '0')}`).join(', ');
    const events = records.map((r) => `${r.eventSource} ${r.eventId}`).join(', ');
    await stores.delivery.createException({
      code: EDI_UNACKNOWLEDGED,
      detail: `interchange ${String(isa13).padStart(9, '0')} sent to ${partner} at ${first.createdAt} (sets ${sets}; events ${events}) has no 997/999 after ${minutes} minutes`,
      system: partner,
      subscription: first.subscription,
      eventId: first.eventId,
      subject,
      payload: first.body,
      at: now.toISOString(),
    });
    opened += 1;
  }
  await resolveAnswered(stores, partner, now);
  return opened;
}

/** Open `edi_unacknowledged` exceptions of `partner` whose interchange has had its 997/999 since. */
async function resolveAnswered(stores: EdiAckStores, partner: string, now: Date): Promise<void> {
  const open = await stores.delivery.listExceptions({
    code: EDI_UNACKNOWLEDGED,
    system: partner,
    status: 'open',
    limit: CHECK_LIMIT,
  });
  if (open.length === 0) return;
  const unanswered = await stores.edi.listOutbound({
    partner,
    unacknowledgedBefore: now.toISOString(),
    limit: CHECK_LIMIT,
  });
  // Too many unanswered to know them all: resolve nothing rather than something still unanswered.
  if (unanswered.length >= CHECK_LIMIT) return;
  const still = new Set(unanswered.map((r) => interchangeSubject(partner, r.isa13)));
  for (const exception of open) {
    if (exception.subject === undefined || still.has(exception.subject)) continue;
    await stores.delivery.resolveException(exception.id, {
      who: HUB_SYSTEM,
      at: now.toISOString(),
      note: 'the partner acknowledged the interchange (997/999)',
    });
  }
}
