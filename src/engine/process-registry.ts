/**
 * This process in the store's process registry: registered at start under a fresh incarnation id,
 * refreshed by a heartbeat every `HEARTBEAT_INTERVAL_MS`, removed on a graceful stop. Other hub processes
 * on the same store take an incarnation whose heartbeat is older than `PROCESS_TTL_MS` (or that is not
 * registered at all) for dead. See docs/durability.md ("Process registry").
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import type { ProcessInfo, ProcessRecord } from '../store/process-port.js';
import type { Store } from '../store/store-port.js';

/** How often a live process refreshes its heartbeat. */
export const HEARTBEAT_INTERVAL_MS = 5_000;
/**
 * How recent a heartbeat must be for its process to count as alive: three intervals, so that one late
 * or failed heartbeat (a busy event loop, a store hiccup) does not make a live process look dead.
 */
export const PROCESS_TTL_MS = 3 * HEARTBEAT_INTERVAL_MS;
/** Dead incarnations are forgotten this long after their last heartbeat (kept a day for operators). */
export const FORGET_DEAD_AFTER_MS = 24 * 3600_000;

/** Manifold's version, from the package it runs from. */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface ProcessRegistryOptions {
  now?: () => Date;
  /** Heartbeat period, ms (default `HEARTBEAT_INTERVAL_MS`). */
  intervalMs?: number;
  /** Heartbeat age after which a process is dead, ms (default `PROCESS_TTL_MS`). */
  ttlMs?: number;
  onError?: (loop: string, error: unknown) => void;
}

export class ProcessRegistry {
  /** This process's incarnation: made once per start, so a restarted process is a new incarnation. */
  readonly incarnation = randomUUID();
  readonly info: ProcessInfo = { host: hostname(), pid: process.pid, version: packageVersion() };
  readonly ttlMs: number;
  private readonly now: () => Date;
  private readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private beating: Promise<void> | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: ProcessRegistryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.intervalMs = options.intervalMs ?? HEARTBEAT_INTERVAL_MS;
    this.ttlMs = options.ttlMs ?? PROCESS_TTL_MS;
  }

  /** Registers this incarnation and starts the heartbeat. Before the hub takes requests. */
  async start(): Promise<void> {
    if (this.timer) return;
    await this.store.processes.register(this.incarnation, this.info, this.now().toISOString());
    this.timer = setInterval(() => void this.heartbeat(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Records the address the hub listens on (once listening): an earlier incarnation registered on this
   * host with this address is dead at once. Returns the incarnations that were.
   */
  listening(address: string): Promise<string[]> {
    return this.store.processes.claimAddress(this.incarnation, this.info.host, address);
  }

  /** One heartbeat (re-registers when the row was removed), and the long dead forgotten. One at a time. */
  heartbeat(): Promise<void> {
    this.beating ??= (async () => {
      const at = this.now();
      if (!(await this.store.processes.heartbeat(this.incarnation, at.toISOString()))) {
        await this.store.processes.register(this.incarnation, this.info, at.toISOString());
      }
      await this.store.processes.prune(new Date(at.getTime() - FORGET_DEAD_AFTER_MS).toISOString());
    })()
      .catch((error: unknown) => this.options.onError?.('processes', error))
      .finally(() => {
        this.beating = undefined;
      });
    return this.beating;
  }

  /** The live incarnations on the store (this one included once registered), oldest first. */
  live(): Promise<ProcessRecord[]> {
    return this.store.processes.live(this.now().toISOString(), this.ttlMs);
  }

  /** Whether an incarnation is alive: this one always, another while its heartbeat is recent. */
  async isAlive(incarnation: string): Promise<boolean> {
    if (incarnation === this.incarnation) return true;
    return this.store.processes.isAlive(incarnation, this.now().toISOString(), this.ttlMs);
  }

  /** Stops the heartbeat and removes this incarnation (a graceful stop). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const started = this.timer !== undefined;
    this.timer = undefined;
    await this.beating;
    if (started) await this.store.processes.deregister(this.incarnation);
  }
}
