/**
 * The `http:` section: a webhook subscription's endpoint (and the HTTP endpoints of `orders.validate` and
 * `tracing.otlp`, which read the same shape). A subscription's section may also shape the call for the
 * target's own API (`shaped-config.ts`).
 */
import type { HttpConnectorConfig } from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';
import { notAString } from './expressions.js';
import {
  isHttpUrl,
  isShaped,
  readHeaders,
  readShaped,
  SHAPED_KEYS,
  templatedHeaderNames,
} from './shaped-config.js';

/** Timeout of one HTTP delivery attempt when `http.timeoutMs` is not set. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

const BASE_KEYS = ['url', 'secret', 'headers', 'timeoutMs', 'batch'] as const;

/**
 * `http: { url, secret?, headers?, timeoutMs?, batch? }`: the webhook connector. With `shaped` (a
 * subscription's section), also the keys of a shaped call (docs/connectors.md#shaped-calls-out).
 */
export function readHttp(
  value: ConfigValue | undefined,
  options: { shaped?: boolean } = {},
): HttpConnectorConfig | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  const shapedAllowed = options.shaped === true;
  map.allowOnly(shapedAllowed ? [...BASE_KEYS, ...SHAPED_KEYS] : BASE_KEYS);
  const urlValue = map.require('url');
  const url = urlValue === undefined || notAString(urlValue) ? undefined : urlValue.string();
  const shaped = shapedAllowed && isShaped(map, url);
  if (url !== undefined && !shaped && !isHttpUrl(url)) {
    urlValue?.report(`invalid URL '${url}'; expected an http:// or https:// URL`, url);
  }
  if (url !== undefined && !shapedAllowed && url.includes('{{')) {
    urlValue?.report("'{{ }}' templates are allowed only in a subscription's http.url", url);
  }
  if (!shapedAllowed) {
    for (const name of templatedHeaderNames(map)) {
      map
        .get('headers')
        ?.map()
        ?.get(name)
        ?.report("'{{ }}' templates in headers are allowed only in a subscription's http section");
    }
  }
  const headers = readHeaders(map.get('headers'));
  const http: HttpConnectorConfig = {
    url: url ?? '',
    headers,
    timeoutMs: map.get('timeoutMs')?.int(1) ?? DEFAULT_HTTP_TIMEOUT_MS,
    batch: map.get('batch')?.boolean() ?? false,
  };
  const secret = map.get('secret')?.string({ secret: true });
  if (secret !== undefined) http.secret = secret;
  if (shaped && url !== undefined && urlValue !== undefined) {
    const call = readShaped(map, urlValue, url, http.batch);
    if (call !== undefined) http.shaped = call;
  }
  return http;
}
