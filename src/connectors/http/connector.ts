/**
 * The `http` connector kind: webhooks. A subscription's `http: { url, … }` section; outbound, its events
 * as CloudEvents JSON (one, or a batch with `batch: true`) carried by the HTTP transport — or, when the
 * section shapes the call (`body`, `method`, `auth`, `{{ }}` in `url`…), a request in the target's own API
 * (`shaped-call.ts`, docs/connectors.md#shaped-calls-out).
 */
import type { CompiledConfig, HttpConnectorConfig } from '../../config/compiled-config.js';
import type { ConnectorKind } from '../connector-port.js';
import { httpClient, httpTransport } from '../transport/http.js';
import { DEFAULT_HTTP_TIMEOUT_MS, readHttp } from './config-section.js';
import { storeXref } from './expressions.js';
import { idempotencyKey, toRequestBody } from './mapping.js';
import { OAUTH2_STATE_INSTANCE, OAuth2Tokens } from './oauth2.js';
import { sendShaped, type XrefWriter } from './shaped-call.js';

export const httpConnector: ConnectorKind = {
  kind: 'http',
  readSection: (map) => ({
    complete(subscription) {
      const http = readHttp(map.require('http'), { shaped: true });
      if (http === undefined) return undefined;
      subscription.http = http;
      return { kind: 'http', section: http, batch: http.batch, attemptTimeoutMs: attemptTimeout(http) };
    },
  }),
  openOutbound(context) {
    const client = httpClient(context);
    return (subscription, section) => {
      const http = section as HttpConnectorConfig;
      const shaped = http.shaped;
      if (shaped !== undefined) {
        const tokens = context.shared(
          'http-oauth2',
          () =>
            new OAuth2Tokens(
              client,
              context.state(OAUTH2_STATE_INSTANCE),
              context.now,
              DEFAULT_HTTP_TIMEOUT_MS,
            ),
        );
        const xrefRead = storeXref(context.config, context.stores);
        const shapedContext = {
          client,
          tokens,
          state: context.state(subscription.name),
          now: context.now,
          xref: xrefWriter(context.config, context.stores as XrefStores),
          ...(xrefRead !== undefined ? { xrefRead } : {}),
        };
        return { send: (events, { trace }) => sendShaped(shapedContext, http, shaped, events, trace) };
      }
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

/** The part of the hub's store `capture: { xref, … }` writes to. */
interface XrefStores {
  xref?: {
    put(table: string, key: string, value: unknown, at: string, reverseField?: string): Promise<void>;
  };
}

function xrefWriter(config: CompiledConfig, stores: XrefStores): XrefWriter {
  return async (name, key, value, at) => {
    const table = config.xref?.get(name);
    if (table === undefined) throw new Error(`capture: no cross-reference table '${name}' under xref:`);
    if (stores.xref === undefined) throw new Error('capture: this store keeps no cross-reference tables');
    await stores.xref.put(name, key, value, at, table.reverse);
  };
}

/**
 * How long one attempt may take: a shaped call may make up to four requests (a token, the lookup, the call,
 * and the call again after a refused token), each with `timeoutMs`.
 */
function attemptTimeout(http: HttpConnectorConfig): number {
  const shaped = http.shaped;
  if (shaped === undefined) return http.timeoutMs;
  let requests = 1;
  if (shaped.lookup !== undefined) requests += 1;
  if (shaped.auth?.kind === 'oauth2') requests += shaped.lookup !== undefined ? 4 : 2;
  return http.timeoutMs * requests;
}
