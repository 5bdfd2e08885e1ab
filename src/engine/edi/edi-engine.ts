/**
 * The EDI side's outbound watch (docs/edi.md), a loop on a timer started with the hub:
 *
 * - **acknowledgement check**: an interchange sent to a partner with `x12.ackWithinMinutes` and still
 *   without a 997/999 that long after it was sent opens one `edi_unacknowledged` exception (subject
 *   `x12:<partner>:<ISA13>`, never twice, not again after an operator resolved it); a 997/999 matched
 *   later resolves it (by `manifold`).
 *
 * The watched `x12.inbox` folders are the `edi` kind's sources (src/connectors/edi/inbox-source.ts),
 * pulled by the hub's source loop (engine/inbound/source-loops.ts).
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import type { EdiOutboundRecord } from '../../store/edi-port.js';
import type { Store } from '../../store/store-port.js';
import { Loop } from '../inventory/inventory-engine.js';

export const EDI_UNACKNOWLEDGED = 'edi_unacknowledged';

/** Most unacknowledged interchanges looked at per partner and pass. */
const CHECK_LIMIT = 1000;

export interface EdiEngineOptions {
  now?: () => Date;
  /** How often unacknowledged interchanges are looked for (default one minute). */
  ackCheckMs?: number;
  onError?: (loop: string, error: unknown) => void;
}

/** The subject of an interchange's exception. */
export function interchangeSubject(partner: string, isa13: number): string {
  return `x12:${partner}:${String(isa13).padStart(9, '0')}`;
}

export class EdiEngine {
  private readonly now: () => Date;
  private readonly ackLoop: Loop;
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly options: EdiEngineOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    const onError = options.onError ?? (() => undefined);
    // The step reports no work: each pass is one look, the timer brings the next.
    this.ackLoop = new Loop(
      'edi-acknowledgements',
      async () => {
        await this.checkAcknowledgements();
        return 0;
      },
      onError,
    );
  }

  private get ackPartners(): Array<[string, number]> {
    return [...this.config.systems.values()].flatMap((s) =>
      s.x12?.ackWithinMinutes ? [[s.name, s.x12.ackWithinMinutes] as [string, number]] : [],
    );
  }

  start(): void {
    if (this.timers.length > 0) return;
    if (this.ackPartners.length > 0) {
      void this.ackLoop.wake();
      this.timers.push(setInterval(() => void this.ackLoop.wake(), this.options.ackCheckMs ?? 60_000));
    }
    for (const timer of this.timers) timer.unref();
  }

  /** One pass of the loop (tests). */
  async settle(): Promise<void> {
    await this.ackLoop.wake();
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await this.ackLoop.idle();
  }

  /** Opens an exception per overdue interchange, and resolves those answered since. */
  async checkAcknowledgements(): Promise<void> {
    const now = this.now();
    for (const [partner, minutes] of this.ackPartners) {
      const overdue = await this.store.edi.listOutbound({
        partner,
        unacknowledgedBefore: new Date(now.getTime() - minutes * 60_000).toISOString(),
        limit: CHECK_LIMIT,
      });
      const byInterchange = new Map<number, EdiOutboundRecord[]>();
      for (const record of overdue) {
        const list = byInterchange.get(record.isa13) ?? [];
        list.push(record);
        byInterchange.set(record.isa13, list);
      }
      for (const [isa13, records] of byInterchange) {
        const subject = interchangeSubject(partner, isa13);
        const [known] = await this.store.delivery.listExceptions({
          code: EDI_UNACKNOWLEDGED,
          subject,
          limit: 1,
        });
        if (known) continue;
        const first = records[0]!;
        const sets = records.map((r) => `${r.setId} ${String(r.stControl).padStart(4, '0')}`).join(', ');
        const events = records.map((r) => `${r.eventSource} ${r.eventId}`).join(', ');
        await this.store.delivery.createException({
          code: EDI_UNACKNOWLEDGED,
          detail: `interchange ${String(isa13).padStart(9, '0')} sent to ${partner} at ${first.createdAt} (sets ${sets}; events ${events}) has no 997/999 after ${minutes} minutes`,
          system: partner,
          subscription: first.subscription,
          eventId: first.eventId,
          subject,
          payload: first.body,
          at: now.toISOString(),
        });
      }
      await this.resolveAnswered(partner, now);
    }
  }

  /** Open `edi_unacknowledged` exceptions of `partner` whose interchange has had its 997/999 since. */
  private async resolveAnswered(partner: string, now: Date): Promise<void> {
    const open = await this.store.delivery.listExceptions({
      code: EDI_UNACKNOWLEDGED,
      system: partner,
      status: 'open',
      limit: CHECK_LIMIT,
    });
    if (open.length === 0) return;
    const unanswered = await this.store.edi.listOutbound({
      partner,
      unacknowledgedBefore: now.toISOString(),
      limit: CHECK_LIMIT,
    });
    // Too many unanswered to know them all: resolve nothing rather than something still unanswered.
    if (unanswered.length >= CHECK_LIMIT) return;
    const still = new Set(unanswered.map((r) => interchangeSubject(partner, r.isa13)));
    for (const exception of open) {
      if (exception.subject === undefined || still.has(exception.subject)) continue;
      await this.store.delivery.resolveException(exception.id, {
        who: HUB_SYSTEM,
        at: now.toISOString(),
        note: 'the partner acknowledged the interchange (997/999)',
      });
    }
  }
}
