/**
 * The sources' loops (src/connectors/README.md, *source* role). Sources without a schedule of their own
 * (a partner's `x12.inbox` folder) share one loop: every `pollMs` (2 s by default) each is pulled once; a
 * file is taken on the look after the one that first saw it unchanged. A source with `everyMs` (a poller)
 * runs on its own timer, by one process at a time, backing off after failures (`scheduled-source.ts`).
 * Started and stopped by the composition root.
 */
import type { SourceConnector } from '../../connectors/connector-port.js';
import { connectorKinds } from '../../connectors/registry.js';
import type { Store } from '../../store/store-port.js';
import { Loop } from '../background-loop.js';
import type { Telemetry } from '../observability/telemetry.js';
import type { InboundService } from './inbound-service.js';
import {
  leaseOwner,
  ScheduledSource,
  type ScheduledSourceOptions,
  type SourceStatus,
} from './scheduled-source.js';

export interface SourceLoopsOptions {
  /** How often the sources without a schedule of their own are pulled (default 2 s). */
  pollMs?: number;
  onError?: (loop: string, error: unknown) => void;
  /** Told each failed run of a scheduled source (a poller whose API is down); default `onError`. */
  onSourceFailure?: (source: string, error: unknown) => void;
  /** The store for scheduled sources' leases and status (required when there are any). */
  store?: Store;
  telemetry?: Telemetry;
  now?: () => Date;
  /** Lease and back-off settings of scheduled sources (tests shorten them). */
  scheduled?: Pick<ScheduledSourceOptions, 'leaseTtlMs' | 'leaseRenewMs' | 'maxBackoffMs'>;
  /** Who holds the scheduled sources' leases: the hub process's incarnation (default `leaseOwner()`). */
  leaseOwner?: string;
}

export class SourceLoops {
  private readonly loop: Loop;
  private timer: NodeJS.Timeout | undefined;
  private readonly sources: { kind: string; source: SourceConnector }[];
  private readonly scheduled: ScheduledSource[];

  constructor(
    private readonly inbound: InboundService,
    private readonly options: SourceLoopsOptions = {},
  ) {
    const all = connectorKinds().flatMap((k) =>
      inbound.sources(k.kind).map((source) => ({ kind: k.kind, source })),
    );
    this.sources = all.filter(({ source }) => source.everyMs === undefined);
    const owner = options.leaseOwner ?? leaseOwner();
    const onError = options.onError ?? (() => undefined);
    this.scheduled = all.flatMap(({ kind, source }) => {
      const everyMs = source.everyMs;
      if (everyMs === undefined) return [];
      const { store } = options;
      if (!store) throw new Error(`source ${source.name} runs on a schedule: SourceLoops needs the store`);
      return [
        new ScheduledSource({ ...source, everyMs, pull: (hub) => source.pull(hub) }, owner, {
          store,
          hub: (fence) => inbound.sourceHub(kind, source, fence),
          now: options.now ?? (() => new Date()),
          ...(options.telemetry ? { telemetry: options.telemetry } : {}),
          onError: options.onSourceFailure ?? onError,
          ...options.scheduled,
        }),
      ];
    });
    // Each pass is one look at every source; the timer brings the next (a file must stay unchanged
    // from one look to the next to be taken).
    this.loop = new Loop(
      'sources',
      async () => {
        for (const { kind, source } of this.sources) {
          await source.pull(this.inbound.sourceHub(kind, source));
        }
        return 0;
      },
      onError,
    );
  }

  start(): void {
    for (const source of this.scheduled) source.start();
    if (this.timer || this.sources.length === 0) return;
    void this.loop.wake();
    this.timer = setInterval(() => void this.loop.wake(), this.options.pollMs ?? 2_000);
    this.timer.unref();
  }

  /** One pass over the sources without a schedule, and one tick of each scheduled source (tests). */
  async settle(): Promise<void> {
    await this.loop.wake();
    for (const source of this.scheduled) await source.tick();
  }

  /** The scheduled sources (pollers) and how they fare, as stored by whichever process runs each. */
  status(): Promise<SourceStatus[]> {
    return Promise.all(this.scheduled.map((s) => s.status()));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.scheduled.map((s) => s.stop()));
    await this.loop.idle();
  }
}
