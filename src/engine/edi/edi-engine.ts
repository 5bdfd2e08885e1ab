/**
 * The EDI side's background work (docs/edi.md), two loops on timers started with the hub:
 *
 * - **acknowledgement check**: an interchange sent to a partner with `x12.ackWithinMinutes` and still
 *   without a 997/999 that long after it was sent opens one `edi_unacknowledged` exception (subject
 *   `x12:<partner>:<ISA13>`, never twice, not again after an operator resolved it); a 997/999 matched
 *   later resolves it (by `manifold`).
 * - **watched inboxes**: the files of a partner's `x12.inbox` folder are received as from the partner
 *   (`EdiInbound.receive`) once unchanged (size and mtime) since the previous poll, so a half-written
 *   upload is not read; then moved to `processed/` with the answer beside it (`<name>.ack.x12`), or to
 *   `failed/` with `<name>.error.txt` when the interchange cannot be received at all.
 */
import { mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompiledConfig } from '../../config/compiled-config.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import type { EdiOutboundRecord } from '../../store/edi-port.js';
import type { Store } from '../../store/store-port.js';
import { Loop } from '../inventory/inventory-engine.js';
import type { EdiInbound } from './edi-inbound.js';

export const EDI_UNACKNOWLEDGED = 'edi_unacknowledged';

/** Most unacknowledged interchanges looked at per partner and pass. */
const CHECK_LIMIT = 1000;

export interface EdiEngineOptions {
  now?: () => Date;
  /** How often unacknowledged interchanges are looked for (default one minute). */
  ackCheckMs?: number;
  /** How often the inboxes are polled (default 2 s); a file is taken on the poll after it stopped changing. */
  inboxPollMs?: number;
  onError?: (loop: string, error: unknown) => void;
}

/** The subject of an interchange's exception. */
export function interchangeSubject(partner: string, isa13: number): string {
  return `x12:${partner}:${String(isa13).padStart(9, '0')}`;
}

export class EdiEngine {
  private readonly now: () => Date;
  private readonly ackLoop: Loop;
  private readonly inboxLoop: Loop;
  private readonly timers: NodeJS.Timeout[] = [];
  /** What each inbox file looked like at the previous poll: `size:mtimeMs`. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly inbound: EdiInbound,
    private readonly options: EdiEngineOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    const onError = options.onError ?? (() => undefined);
    // Both steps report no work: each pass is one look, the timer brings the next.
    this.ackLoop = new Loop(
      'edi-acknowledgements',
      async () => {
        await this.checkAcknowledgements();
        return 0;
      },
      onError,
    );
    this.inboxLoop = new Loop(
      'edi-inbox',
      async () => {
        await this.pollInboxes();
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

  private get inboxPartners(): Array<[string, string]> {
    return [...this.config.systems.values()].flatMap((s) =>
      s.x12?.inbox ? [[s.name, s.x12.inbox] as [string, string]] : [],
    );
  }

  start(): void {
    if (this.timers.length > 0) return;
    if (this.ackPartners.length > 0) {
      void this.ackLoop.wake();
      this.timers.push(setInterval(() => void this.ackLoop.wake(), this.options.ackCheckMs ?? 60_000));
    }
    if (this.inboxPartners.length > 0) {
      void this.inboxLoop.wake();
      this.timers.push(setInterval(() => void this.inboxLoop.wake(), this.options.inboxPollMs ?? 2_000));
    }
    for (const timer of this.timers) timer.unref();
  }

  /** One pass of each loop (tests; an inbox file is taken on the second pass that sees it unchanged). */
  async settle(): Promise<void> {
    await Promise.all([this.ackLoop.wake(), this.inboxLoop.wake()]);
  }

  async stop(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    await Promise.all([this.ackLoop.idle(), this.inboxLoop.idle()]);
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

  /** Receives the inbox files that did not change since the previous poll. */
  async pollInboxes(): Promise<void> {
    const present = new Set<string>();
    for (const [partner, inbox] of this.inboxPartners) {
      let entries: string[];
      try {
        entries = (await readdir(inbox, { withFileTypes: true }))
          .filter((e) => e.isFile() && !e.name.startsWith('.'))
          .map((e) => e.name)
          .sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
        throw error;
      }
      for (const name of entries) {
        const path = join(inbox, name);
        let shape: string;
        try {
          const info = await stat(path);
          shape = `${info.size}:${info.mtimeMs}`;
        } catch {
          continue; // moved away meanwhile
        }
        present.add(path);
        if (this.seen.get(path) !== shape) {
          this.seen.set(path, shape);
          continue;
        }
        this.seen.delete(path);
        present.delete(path);
        await this.take(partner, inbox, name);
      }
    }
    for (const path of this.seen.keys()) if (!present.has(path)) this.seen.delete(path);
  }

  private async take(partner: string, inbox: string, name: string): Promise<void> {
    const path = join(inbox, name);
    const body = await readFile(path);
    let ack: string;
    try {
      ack = (await this.inbound.receive(partner, partner, body)).body;
    } catch (error) {
      const failed = join(inbox, 'failed');
      await mkdir(failed, { recursive: true });
      const target = await freeName(failed, name);
      await writeFile(
        join(failed, `${target}.error.txt`),
        `${this.now().toISOString()} ${partner}: ${(error as Error).message}\n`,
      );
      await rename(path, join(failed, target));
      return;
    }
    const processed = join(inbox, 'processed');
    await mkdir(processed, { recursive: true });
    const target = await freeName(processed, name);
    await writeFile(join(processed, `${target}.ack.x12`), ack);
    await rename(path, join(processed, target));
  }
}

/** `name`, or `name.<n>` when a file of that name is already in `dir` (a partner reusing names). */
async function freeName(dir: string, name: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = n === 0 ? name : `${name}.${n}`;
    try {
      await stat(join(dir, candidate));
    } catch {
      return candidate;
    }
  }
}
