/**
 * The `ndjsonFile` connector kind: an audit trail or file drop. A subscription's `ndjsonFile: { path }`
 * section; outbound, each delivered CloudEvent appended to that file as one JSON line.
 */
import type { ConnectorKind } from '../connector-port.js';
import { NDJSON_ATTEMPT_TIMEOUT_MS, type NdjsonFileSection, readNdjsonFile } from './config-section.js';
import { toNdjson } from './mapping.js';
import { NdjsonAppender } from './outbound.js';

export const ndjsonFileConnector: ConnectorKind = {
  kind: 'ndjsonFile',
  // The section is read in `complete`, never refused here: a `readSection` answering undefined makes the
  // compiler read the subscription as the default kind's too, adding "missing required key 'http'".
  readSection: (map) => ({
    complete() {
      const section = readNdjsonFile(map);
      if (section === undefined) return undefined;
      return { kind: 'ndjsonFile', section, batch: false, attemptTimeoutMs: NDJSON_ATTEMPT_TIMEOUT_MS };
    },
  }),
  openOutbound() {
    // One appender per delivery engine: subscriptions naming the same file append one at a time.
    const appender = new NdjsonAppender();
    return (_subscription, section) => {
      const { path } = section as NdjsonFileSection;
      return {
        send: (events) => appender.append(path, toNdjson(events)),
      };
    };
  },
};
