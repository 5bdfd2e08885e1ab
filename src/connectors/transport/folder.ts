/**
 * The folder transport, both ways:
 * - outbound, it writes a document into a folder under its file name, atomically (a temp file in the same
 *   folder, then a rename), so that whoever watches the folder never reads half a document;
 * - inbound (`pickUp`), it takes the files of a watched folder once they stopped changing (same size and
 *   mtime as at the previous look, so a half-written upload is not read), hands each to a format, then
 *   moves it to `processed/` with the format's reply beside it, or to `failed/` with `<name>.error.txt`.
 *   What it saw at the previous look is kept in the instance's `ConnectorState`, so a restart does not
 *   start the wait again.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { ConnectorState, Transport } from '../connector-port.js';

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

/** A watched folder: where, what it remembers, and what a file taken becomes. */
export interface FolderPickup {
  dir: string;
  /** The instance's state; the pickup keeps the files it saw under `key`. */
  state: ConnectorState;
  key: string;
  /** Who the files come from, for the `failed/` note. */
  from: string;
  /** The suffix of the reply kept beside a processed file (`.ack.x12`). */
  replySuffix: string;
  now: () => Date;
}

/**
 * One look at a watched folder: the files unchanged since the previous look are handed to `take` (which
 * answers the reply to keep, or throws when the file cannot be received at all) in name order, then moved
 * away. A missing folder is not an error (nothing to take). Answers how many files were taken.
 */
export async function pickUp(pickup: FolderPickup, take: (body: Buffer) => Promise<string>): Promise<number> {
  const { dir, state, key } = pickup;
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true }))
      .filter((e) => e.isFile() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  // What each file looked like at the previous look: `size:mtimeMs`.
  const before = (await state.get<Record<string, string>>(key)) ?? {};
  const seen: Record<string, string> = {};
  let taken = 0;
  for (const name of entries) {
    let shape: string;
    try {
      const info = await stat(join(dir, name));
      shape = `${info.size}:${info.mtimeMs}`;
    } catch {
      continue; // moved away meanwhile
    }
    if (before[name] !== shape) {
      seen[name] = shape;
      continue;
    }
    await takeFile(pickup, name, take);
    taken += 1;
  }
  if (JSON.stringify(seen) !== JSON.stringify(before)) {
    if (Object.keys(seen).length === 0) await state.delete(key);
    else await state.put(key, seen);
  }
  return taken;
}

async function takeFile(
  pickup: FolderPickup,
  name: string,
  take: (body: Buffer) => Promise<string>,
): Promise<void> {
  const { dir } = pickup;
  const path = join(dir, name);
  const body = await readFile(path);
  let reply: string;
  try {
    reply = await take(body);
  } catch (error) {
    const failed = join(dir, 'failed');
    await mkdir(failed, { recursive: true });
    const target = await freeName(failed, name);
    await writeFile(
      join(failed, `${target}.error.txt`),
      `${pickup.now().toISOString()} ${pickup.from}: ${(error as Error).message}\n`,
    );
    await rename(path, join(failed, target));
    return;
  }
  const processed = join(dir, 'processed');
  await mkdir(processed, { recursive: true });
  const target = await freeName(processed, name);
  await writeFile(join(processed, `${target}${pickup.replySuffix}`), reply);
  await rename(path, join(processed, target));
}

/** `name`, or `name.<n>` when a file of that name is already in `dir` (a sender reusing names). */
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
