/** The `ndjsonFile:` section of a subscription: the file its events are appended to. */
import type { MapReader } from '../../config/config-reader.js';

/** The compiled `ndjsonFile:` section. */
export interface NdjsonFileSection {
  /** The file appended to; a relative path is relative to the hub's working directory. */
  path: string;
}

/** One append may take this long at most (it sizes the claimed row's lease). */
export const NDJSON_ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * `ndjsonFile: { path }` (`map` is the whole subscription). Undefined when the section is absent or cannot
 * be read; its problems are reported with file, line and key.
 */
export function readNdjsonFile(map: MapReader): NdjsonFileSection | undefined {
  // `require`: written but empty (`ndjsonFile:`) is reported at the key.
  const section = map.require('ndjsonFile')?.map();
  if (section === undefined) return undefined;
  section.allowOnly(['path']);
  const pathValue = section.require('path');
  const path = pathValue?.string();
  if (path === undefined) return undefined;
  if (path.trim() === '' || path.endsWith('/')) {
    pathValue?.report(`invalid path '${path}'; expected a file name, e.g. ./out/erp.ndjson`, path);
    return undefined;
  }
  return { path };
}
