/**
 * An online backup of the embedded store (docs/operations.md#retention-and-backups), with SQLite's backup
 * API through better-sqlite3 (`db.backup()`), from a connection of its own: safe while the hub runs.
 *
 * The copy is made in one step, inside one read transaction of the source: in WAL mode a reader never
 * blocks the hub's writer (nor the writer the reader), and a backup made in one step is never restarted
 * by the writes that commit meanwhile. The copy holds exactly what was committed when the step began: every
 * write acknowledged before the backup started is in it. It is written under a temporary name, checked
 * (`PRAGMA integrity_check`) and renamed, so the target is a whole database or absent.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

export interface BackupResult {
  /** Pages of the copy (of `pageSize` bytes). */
  pages: number;
  pageSize: number;
}

export async function backupSqlite(source: string, target: string): Promise<BackupResult> {
  if (!existsSync(source)) throw new Error(`no database at ${source}`);
  const temporary = `${target}.${process.pid}.tmp`;
  rmSync(temporary, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    // Every remaining page in the next step: one read transaction, never restarted.
    await db.backup(temporary, { progress: () => 0x7fffffff });
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  } finally {
    db.close();
  }
  const copy = new Database(temporary);
  let result: BackupResult;
  try {
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new Error(`the copy failed its integrity check: ${String(check)}`);
    result = {
      pages: Number(copy.pragma('page_count', { simple: true })),
      pageSize: Number(copy.pragma('page_size', { simple: true })),
    };
  } catch (error) {
    copy.close();
    rmSync(temporary, { force: true });
    throw error;
  }
  copy.close();
  rmSync(`${temporary}-wal`, { force: true });
  rmSync(`${temporary}-shm`, { force: true });
  renameSync(temporary, target);
  return result;
}
