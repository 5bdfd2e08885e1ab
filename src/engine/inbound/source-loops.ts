/**
 * The sources' loop (src/connectors/README.md, *source* role): every `pollMs` (2 s by default) each
 * source of every kind (a partner's `x12.inbox` folder) is pulled once; a file is taken on the look
 * after the one that first saw it unchanged. Started and stopped by the composition root.
 */
import type { SourceConnector } from '../../connectors/connector-port.js';
import { connectorKinds } from '../../connectors/registry.js';
import { Loop } from '../inventory/inventory-engine.js';
import type { InboundService } from './inbound-service.js';

export interface SourceLoopsOptions {
  /** How often the sources are pulled (default 2 s). */
  pollMs?: number;
  onError?: (loop: string, error: unknown) => void;
}

export class SourceLoops {
  private readonly loop: Loop;
  private timer: NodeJS.Timeout | undefined;
  private readonly sources: { kind: string; source: SourceConnector }[];

  constructor(
    private readonly inbound: InboundService,
    private readonly options: SourceLoopsOptions = {},
  ) {
    this.sources = connectorKinds().flatMap((k) =>
      inbound.sources(k.kind).map((source) => ({ kind: k.kind, source })),
    );
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
      options.onError ?? (() => undefined),
    );
  }

  start(): void {
    if (this.timer || this.sources.length === 0) return;
    void this.loop.wake();
    this.timer = setInterval(() => void this.loop.wake(), this.options.pollMs ?? 2_000);
    this.timer.unref();
  }

  /** One pass over the sources (tests). */
  settle(): Promise<void> {
    return this.loop.wake();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.loop.idle();
  }
}
