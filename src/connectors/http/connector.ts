/**
 * The `http` connector kind: webhooks. A subscription's `http: { url, … }` section; outbound, its events
 * as CloudEvents JSON (one, or a batch with `batch: true`) carried by the HTTP transport.
 */
import type { HttpConnectorConfig } from '../../config/compiled-config.js';
import type { ConnectorKind } from '../connector-port.js';
import { httpClient, httpTransport } from '../transport/http.js';
import { readHttp } from './config-section.js';
import { idempotencyKey, toRequestBody } from './mapping.js';

export const httpConnector: ConnectorKind = {
  kind: 'http',
  readSection: (map) => ({
    complete(subscription) {
      const http = readHttp(map.require('http'), { shaped: true });
      if (http === undefined) return undefined;
      subscription.http = http;
      return { kind: 'http', section: http, batch: http.batch, attemptTimeoutMs: http.timeoutMs };
    },
  }),
  openOutbound(context) {
    const client = httpClient(context);
    return (_subscription, section) => {
      const http = section as HttpConnectorConfig;
      const transport = httpTransport(client, http, context.now);
      return {
        send(events, { trace }) {
          // The format (CloudEvents JSON) and the transport (HTTP) apart, as every kind keeps them.
          const { contentType, body } = toRequestBody(events, http.batch);
          return transport.carry(
            { contentType, body, idempotencyKey: idempotencyKey(events), fileName: `${events[0]?.id}.json` },
            trace,
          );
        },
      };
    };
  },
};
