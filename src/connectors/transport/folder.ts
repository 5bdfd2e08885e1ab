/**
 * The folder transport: writes a document into a folder under its file name, atomically (a temp file in
 * the same folder, then a rename), so that whoever watches the folder never reads half a document.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Transport } from '../connector-port.js';

/** Writes `name` in `dir` atomically: a temp file in the same folder, then a rename over the name. */
export async function dropFile(dir: string, name: string, body: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${name}.${randomUUID().slice(0, 8)}.tmp`);
  try {
    await writeFile(temp, body, { encoding: 'utf8', flush: true });
    await rename(temp, join(dir, name));
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A transport dropping documents in `path`; a failed write is retryable (a full disk, a missing mount). */
export function folderTransport(path: string): Transport {
  return {
    async carry(document) {
      const started = performance.now();
      try {
        await dropFile(path, document.fileName, document.body);
        return { outcome: 'delivered', latencyMs: performance.now() - started };
      } catch (error) {
        return {
          outcome: 'retryable',
          latencyMs: performance.now() - started,
          error: `cannot write to ${path}: ${(error as Error).message}`,
        };
      }
    },
  };
}
