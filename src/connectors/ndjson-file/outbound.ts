/**
 * The file transport of `ndjsonFile:`: appends a subscription's lines to its file and flushes them to disk
 * before the attempt counts as delivered. Appends to one file are made one at a time (several keys of a
 * subscription, or several subscriptions naming the same file, are delivered in parallel).
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { OutboundResult } from '../connector-port.js';

/** Appends text to files, one append at a time per file. */
export class NdjsonAppender {
  private readonly queues = new Map<string, Promise<unknown>>();

  /** Appends `text` to `path` durably (written and fsynced); a failed write is retryable. */
  append(path: string, text: string): Promise<OutboundResult> {
    const file = resolve(path);
    const previous = this.queues.get(file) ?? Promise.resolve();
    const next = previous.then(() => appendDurably(file, text));
    const settled = next.catch(() => undefined);
    this.queues.set(file, settled);
    void settled.then(() => {
      if (this.queues.get(file) === settled) this.queues.delete(file);
    });
    return next;
  }
}

async function appendDurably(file: string, text: string): Promise<OutboundResult> {
  const started = performance.now();
  try {
    await mkdir(dirname(file), { recursive: true });
    const handle = await open(file, 'a');
    try {
      await handle.writeFile(text, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return { outcome: 'delivered', latencyMs: performance.now() - started };
  } catch (error) {
    // A full disk, a missing mount, a permission fixed later: worth another attempt.
    return {
      outcome: 'retryable',
      latencyMs: performance.now() - started,
      error: `cannot append to ${file}: ${(error as Error).message}`,
    };
  }
}
