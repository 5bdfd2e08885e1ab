/**
 * The HTTP transport: POSTs a document (CloudEvents JSON, an X12 interchange) to a URL, signed, with its
 * Idempotency-Key, through the one HTTP client of the delivery engine (a keep-alive pool per origin,
 * `connectors/http/outbound.ts`).
 */
import type { HttpConnectorConfig } from '../../config/compiled-config.js';
import type { ConnectorContext, Transport } from '../connector-port.js';
import { connectionsByOrigin, HttpConnector } from '../http/outbound.js';

/** The engine's HTTP client, shared by every kind that posts (pools sized by `connectionsByOrigin`). */
export function httpClient(context: ConnectorContext): HttpConnector {
  return context.shared(
    'http',
    () => new HttpConnector({ connections: connectionsByOrigin(context.config.subscriptions) }),
  );
}

/** A transport posting to `config.url` with `client`; `now` stamps the signature and dates `Retry-After`. */
export function httpTransport(
  client: HttpConnector,
  config: HttpConnectorConfig,
  now: () => Date,
): Transport {
  return {
    carry: (document, trace) =>
      client.sendBody(
        config,
        {
          contentType: document.contentType,
          body: document.body,
          idempotencyKey: document.idempotencyKey,
          trace,
        },
        now(),
      ),
  };
}
