/**
 * `bin/manifold map test --config FILE --system S --route R --payload FILE [--header 'k: v' ...]
 * [--query 'k=v' ...]`: what a native webhook route (docs/connectors.md#native-webhooks-in) makes of a
 * payload, without a hub: the CloudEvents it would ingest as a JSON array (exit 0), or the failure — the
 * expression's key, the JSON pointer when known, and the message (exit 1). The events are checked as the
 * hub checks them: their contracts and the system's ownership of their facts. Authentication is not
 * checked (the payload is taken as authenticated). `mapInbound` is the shared core (`map diff` too).
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CompiledConfig } from '../config/compiled-config.js';
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import type { InboundEvent } from '../connectors/connector-port.js';
import { installXrefResolver } from '../connectors/http/expressions.js';
import { inboundOf } from '../connectors/webhook/connector.js';
import { MappingError, type MappingInput, mapRequest } from '../connectors/webhook/mapping.js';
import { validateEvent } from '../contracts/index.js';
import type { CloudEvent } from '../domain/cloud-event.js';
import { catalogueEntry } from '../domain/event-catalogue.js';
import { decideOwnership } from '../domain/ownership.js';
import { xrefResolver } from '../main/xref-resolver.js';

export interface MapTestOptions {
  config: string;
  system: string;
  route: string;
  payload: string;
  header: string[];
  query: string[];
}

/** A failure as printed: `{ "error": { key, pointer?, message } }`. */
export interface Failure {
  key: string;
  pointer?: string;
  message: string;
}

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
  installXrefResolver(xrefResolver(config, { get: async () => undefined }));
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
  });
}

/**
 * What the hub makes of one request on `routeName` of `system` under `config`, as the hub checks it: the
 * route's mapping (`mapRequest`), each event's contract and the system's ownership of its facts. `mapped`
 * says which ids the mapping gave (an event without one gets a random id, as on the hub). Shared by
 * `map test` and `map diff`.
 */
export async function mapInbound(
  config: CompiledConfig,
  system: string,
  routeName: string,
  input: MappingInput,
): Promise<{ events: CloudEvent[]; mapped: InboundEvent[] } | { error: Failure }> {
  const route = inboundOf(config, system)?.routes.get(routeName);
  if (route === undefined) {
    return { error: { key: 'route', message: `system '${system}' has no inbound route '${routeName}'` } };
  }
  let mapped: InboundEvent[];
  try {
    mapped = await mapRequest(route, input);
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    return {
      error: { key: error.key, ...(error.pointer ? { pointer: error.pointer } : {}), message: error.message },
    };
  }
  const time = new Date().toISOString();
  const events: CloudEvent[] = [];
  for (const [index, event] of mapped.entries()) {
    const rule = route.emit.find((r) => r.type === event.type) ?? route.emit[0];
    const cloudEvent: CloudEvent = {
      specversion: '1.0',
      id: event.id ?? randomUUID(),
      source: `/${system}`,
      type: event.type,
      time,
      datacontenttype: 'application/json',
      data: event.data,
    };
    const [problem] = validateEvent(cloudEvent);
    if (problem !== undefined) {
      return {
        error: {
          key: problem.pointer.startsWith('/data') ? `${rule?.key}.data` : (rule?.key ?? 'route'),
          pointer: problem.pointer,
          message: `event ${index}: ${problem.detail}`,
        },
      };
    }
    const entry = catalogueEntry(event.type);
    if (entry !== undefined) {
      const decision = decideOwnership(
        { ownership: config.ownership, systems: config.systems, statusMaps: config.statusMaps },
        system,
        entry.ownership,
        event.data,
      );
      if (!decision.allowed) {
        return { error: { key: `${rule?.key}.type`, pointer: '/type', message: decision.reason } };
      }
    }
    events.push(cloudEvent);
  }
  return { events, mapped };
}
