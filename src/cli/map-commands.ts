/**
 * `bin/manifold map test --config FILE --system S --route R --payload FILE [--header 'k: v' ...]
 * [--query 'k=v' ...]`: what a native webhook route (docs/connectors.md#native-webhooks-in) makes of a
 * payload, without a hub: the CloudEvents it would ingest as a JSON array (exit 0), or the failure — the
 * expression's key, the JSON pointer when known, and the message (exit 1). The events are checked as the
 * hub checks them: their contracts and the system's ownership of their facts. Authentication is not
 * checked (the payload is taken as authenticated). `mapInbound` (src/connectors/webhook/preview.ts) is the
 * shared core (`map diff` and the hub's preview too).
 */
import { readFileSync } from 'node:fs';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { xrefResolver } from '../connectors/http/expressions.js';
import { inboundOf } from '../connectors/webhook/connector.js';
import { type Failure, mapInbound } from '../connectors/webhook/preview.js';
import type { CloudEvent } from '../domain/cloud-event.js';

export interface MapTestOptions {
  config: string;
  system: string;
  route: string;
  payload: string;
  header: string[];
  query: string[];
}

/** A failure as printed: `{ "error": { key, pointer?, message } }`. */
export type { Failure };

/** Runs `map test --system S --route R --payload FILE`; answers the exit code (0 mapped, 1 failed). */
export async function runInboundMapTest(options: MapTestOptions): Promise<number> {
  const result = await mapTest(options);
  if ('error' in result) {
    process.stderr.write(`${JSON.stringify({ error: result.error }, null, 2)}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(result.events, null, 2)}\n`);
  return 0;
}

async function mapTest(options: MapTestOptions): Promise<{ events: CloudEvent[] } | { error: Failure }> {
  let config: ReturnType<typeof loadConfigFile>;
  try {
    config = loadConfigFile(options.config);
  } catch (error) {
    if (error instanceof ConfigError) return { error: { key: 'config', message: error.message } };
    throw error;
  }
  // No store here: every `$xref` key is missing, and its table's onMissing answers.
  const xref = xrefResolver(config, { get: async () => undefined });
  const inbound = inboundOf(config, options.system);
  if (inbound === undefined) {
    return {
      error: {
        key: 'system',
        message: `system '${options.system}' has no inbound: section in ${options.config}`,
      },
    };
  }
  if (!inbound.routes.has(options.route)) {
    const known = [...inbound.routes.keys()].join(', ');
    return { error: { key: 'route', message: `no route '${options.route}' (known: ${known})` } };
  }
  const headers: Record<string, string> = {};
  for (const header of options.header) {
    const colon = header.indexOf(':');
    if (colon <= 0) return { error: { key: 'header', message: `expected 'name: value', got '${header}'` } };
    headers[header.slice(0, colon).trim().toLowerCase()] = header.slice(colon + 1).trim();
  }
  const query: Record<string, string> = {};
  for (const param of options.query) {
    const eq = param.indexOf('=');
    if (eq <= 0) return { error: { key: 'query', message: `expected 'name=value', got '${param}'` } };
    query[param.slice(0, eq)] = param.slice(eq + 1);
  }
  return mapInbound(config, options.system, options.route, {
    system: options.system,
    route: options.route,
    body: readFileSync(options.payload),
    contentType: headers['content-type'],
    headers,
    query,
    xref,
  });
}
