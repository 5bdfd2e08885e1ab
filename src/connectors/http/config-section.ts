/**
 * The `http:` section: a webhook subscription's endpoint (and the HTTP endpoints of `orders.validate` and
 * `tracing.otlp`, which read the same shape).
 */
import type { HttpConnectorConfig } from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';

/** Timeout of one HTTP delivery attempt when `http.timeoutMs` is not set. */
export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `http: { url, secret?, headers?, timeoutMs?, batch? }`: the webhook connector. */
export function readHttp(value: ConfigValue | undefined): HttpConnectorConfig | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['url', 'secret', 'headers', 'timeoutMs', 'batch']);
  const urlValue = map.require('url');
  const url = urlValue?.string();
  if (url !== undefined && !isHttpUrl(url)) {
    urlValue?.report(`invalid URL '${url}'; expected an http:// or https:// URL`, url);
  }
  const headers: Record<string, string> = {};
  for (const entry of map.get('headers')?.map()?.list() ?? []) {
    if (!HEADER_NAME.test(entry.name)) {
      entry.value.report(`invalid header name '${entry.name}'`, entry.name);
      continue;
    }
    const headerValue = entry.value.string({ secret: true });
    if (headerValue !== undefined) headers[entry.name] = headerValue;
  }
  const http: HttpConnectorConfig = {
    url: url ?? '',
    headers,
    timeoutMs: map.get('timeoutMs')?.int(1) ?? DEFAULT_HTTP_TIMEOUT_MS,
    batch: map.get('batch')?.boolean() ?? false,
  };
  const secret = map.get('secret')?.string({ secret: true });
  if (secret !== undefined) http.secret = secret;
  return http;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}
