/**
 * `bin/manifold map diff --config NEW.yaml [--hub URL] [--key KEY] [--system S] [--route R] [--since T]
 * [--json]`: a mapping change previewed over past traffic (docs/connectors.md#previewing-a-mapping-change-map-diff).
 * The raw requests a running hub kept (`GET /v1/inbound-requests`, paged) are mapped again with NEW's routes
 * by the code `map test` and the hub use (src/connectors/webhook/preview.ts: mapping, contracts, ownership)
 * and compared with the events each produced then (read from the log, `GET /v1/events`). Exit 1 when a request that was
 * applied now fails; 2 on bad flags, a bad configuration or an unreachable hub; else 0.
 */
import { ConfigError, loadConfigFile } from '../config/load-config.js';
import { xrefResolver } from '../connectors/http/expressions.js';
import { inboundOf } from '../connectors/webhook/connector.js';
import {
  countVerdicts,
  type KeptRequest,
  previewRequest,
  type RequestResult,
  type Totals,
  VERDICTS,
} from '../connectors/webhook/preview.js';
import { type AdminTarget, adminKey, callHub, HubRequestError } from './admin-client.js';

export { diffJson } from '../connectors/webhook/preview.js';

export interface MapDiffOptions {
  config: string;
  hub: string;
  key?: string;
  system?: string;
  route?: string;
  since?: string;
  json?: boolean;
}

const PAGE = 500;

/** Runs `map diff`; answers the exit code. */
export async function runMapDiff(options: MapDiffOptions): Promise<number> {
  let config: ReturnType<typeof loadConfigFile>;
  let target: AdminTarget;
  try {
    config = loadConfigFile(options.config);
    target = { hub: options.hub, key: adminKey(options.key) };
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n${error.issues.length} problem(s) in ${options.config}\n`);
      return 2;
    }
    process.stderr.write(`manifold map diff: ${(error as Error).message}\n`);
    return 2;
  }
  // `$xref` reads the running hub's tables (the configuration's onMissing for a key it lacks).
  const xref = xrefResolver(config, hubTables(target));
  const systems = [...config.systems.keys()].filter((name) => inboundOf(config, name) !== undefined);
  if (options.system !== undefined && !systems.includes(options.system)) {
    process.stderr.write(
      `manifold map diff: system '${options.system}' has no inbound: section in ${options.config}\n`,
    );
    return 2;
  }
  const results: RequestResult[] = [];
  try {
    for (const system of options.system !== undefined ? [options.system] : systems) {
      for await (const request of keptRequests(target, system, options)) {
        results.push(await previewRequest(config, request, (r) => producedEvents(target, r), xref));
      }
    }
  } catch (error) {
    process.stderr.write(`manifold map diff: ${(error as Error).message}\n`);
    return 2;
  }
  const totals = countVerdicts(results);
  if (options.json) process.stdout.write(`${JSON.stringify({ results, totals }, null, 2)}\n`);
  else process.stdout.write(textReport(results, totals));
  return totals['now fails'] > 0 ? 1 : 0;
}

async function* keptRequests(
  target: AdminTarget,
  system: string,
  options: MapDiffOptions,
): AsyncGenerator<KeptRequest> {
  let after: string | undefined;
  for (;;) {
    const query = new URLSearchParams({ system, limit: String(PAGE) });
    if (options.route !== undefined) query.set('route', options.route);
    if (options.since !== undefined) query.set('since', options.since);
    if (after !== undefined) query.set('after', after);
    const page = await callHub<{ items: KeptRequest[] }>(target, 'GET', `/v1/inbound-requests?${query}`);
    yield* page.items;
    if (page.items.length < PAGE) return;
    after = page.items[page.items.length - 1]?.id;
  }
}

/** The events a request produced then, from the log: type, id and data of each. */
async function producedEvents(target: AdminTarget, request: KeptRequest): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for (const { id, seq } of request.events) {
    const query = new URLSearchParams({ source: `/${request.system}`, cursor: String(seq - 1), limit: '1' });
    const page = await callHub<{ items: { seq: number; event: Record<string, unknown> }[] }>(
      target,
      'GET',
      `/v1/events?${query}`,
    );
    const found = page.items.find((item) => item.seq === seq)?.event;
    if (found === undefined) throw new Error(`event '${id}' (log position ${seq}) is not in the log`);
    events.push({ type: found.type, id: found.id, data: found.data });
  }
  return events;
}

function textReport(results: RequestResult[], totals: Totals): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(
      `${r.verdict.padEnd(12)} ${r.system}/${r.route} ${r.id} (${r.receivedAt}, was ${r.outcome}${r.exceptionId !== undefined ? `, exception ${r.exceptionId}` : ''})`,
    );
    for (const c of r.changes ?? []) {
      const value =
        c.op === 'changed'
          ? `${JSON.stringify(c.before)} -> ${JSON.stringify(c.after)}`
          : JSON.stringify(c.op === 'added' ? c.after : c.before);
      lines.push(`    ${c.op.padEnd(7)} ${c.path}: ${value}`);
    }
    if (r.error !== undefined) {
      const where = r.error.pointer !== undefined ? ` at ${r.error.pointer || '/'}` : '';
      lines.push(`    ${r.error.key}${where}: ${r.error.message}`);
    }
  }
  lines.push(`${totals.requests} requests: ${VERDICTS.map((v) => `${totals[v]} ${v}`).join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** The hub's cross-reference entries through its API, each key read once; a 404 is a missing key. */
function hubTables(target: AdminTarget): { get(table: string, key: string): Promise<unknown> } {
  const cache = new Map<string, Promise<unknown>>();
  const read = async (table: string, key: string): Promise<unknown> => {
    try {
      const entry = await callHub<{ value: unknown }>(
        target,
        'GET',
        `/v1/xref/${encodeURIComponent(table)}/${encodeURIComponent(key)}`,
      );
      return entry.value;
    } catch (error) {
      if (error instanceof HubRequestError && error.status === 404) return undefined;
      throw error;
    }
  };
  return {
    get(table, key) {
      const id = `${table}\n${key}`;
      let found = cache.get(id);
      if (found === undefined) {
        found = read(table, key);
        cache.set(id, found);
      }
      return found;
    },
  };
}
