/**
 * Archives of pruned events (docs/operations.md#retention-and-backups): gzip JSON Lines, one line per event
 * (`{"seq", "system", "ingestedAt", "event"}`), one file per pruned range named by its first and last log
 * position (`events-<first>-<last>.jsonl.gz`, zero-padded so that name order is log order). A file is
 * written under a temporary name, flushed to disk and renamed, so an archive is whole or absent; writing
 * the same range again (a crash between archiving and pruning) replaces the file with the same content.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { ArchivedEvent } from '../../store/retention-port.js';

/** One line of an archive. */
export interface ArchiveLine {
  seq: number;
  system: string;
  ingestedAt: string;
  event: Record<string, unknown>;
}

export function archiveName(first: number, last: number): string {
  const pad = (n: number) => String(n).padStart(12, '0');
  return `events-${pad(first)}-${pad(last)}.jsonl.gz`;
}

/** Writes `events` (log order, not empty) to one archive file in `dir`; returns its path once durable. */
export async function writeArchive(dir: string, events: readonly ArchivedEvent[]): Promise<string> {
  const first = events[0];
  const last = events[events.length - 1];
  if (first === undefined || last === undefined) throw new Error('nothing to archive');
  await mkdir(dir, { recursive: true });
  const path = join(dir, archiveName(first.seq, last.seq));
  const lines = events.map((e) =>
    JSON.stringify({ seq: e.seq, system: e.system, ingestedAt: e.ingestedAt, event: e.envelope }),
  );
  const body = gzipSync(`${lines.join('\n')}\n`);
  const temporary = `${path}.${process.pid}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  // The rename itself is made durable by syncing the directory.
  const directory = await open(dir, 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
  return path;
}

/** Reads an archive back: its lines in log order. */
export async function readArchive(path: string): Promise<ArchiveLine[]> {
  const text = gunzipSync(await readFile(path)).toString('utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ArchiveLine);
}
