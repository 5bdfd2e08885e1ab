/**
 * `POST /v1/inbound-requests/preview` (admin): `bin/manifold map diff` inside the hub, for the console's
 * "Mapping preview" page (docs/connectors.md#previewing-a-mapping-change-map-diff). The posted YAML is
 * compiled by the hub's own loader (`compileConfig`); its errors answer 400 with each issue's line and
 * column. The kept requests (`store.inboundRequests.list`, oldest first, at most `limit` in all) are mapped
 * again with its routes and compared with the events each produced then, read from the log by position.
 *
 * `${VAR}` references in the posted YAML resolve against the hub's environment, as in the file the hub
 * loads, so the deployed configuration can be pasted as it is. Nothing of the configuration is answered,
 * only verdicts, mapped events' differences and mapping errors; hence admin only.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ConfigError, compileConfig, formatIssue } from '../../config/load-config.js';
import { xrefResolver } from '../../connectors/http/expressions.js';
import { inboundOf } from '../../connectors/webhook/connector.js';
import {
  countVerdicts,
  type KeptRequest,
  previewRequest,
  type RequestResult,
} from '../../connectors/webhook/preview.js';
import { MappingPreviewSchema } from '../../contracts/views/mapping-preview-views.js';
import { ManifoldError, NotFoundError, ValidationError } from '../../errors.js';
import type { Store } from '../../store/store-port.js';
import type { ApiContext } from '../api-context.js';

const Problem = { $ref: 'Problem#' };

/** How many requests one preview maps when `limit` is not given, and at most. */
export const PREVIEW_DEFAULT_LIMIT = 200;
export const PREVIEW_MAX_LIMIT = 1000;
/** The name the posted configuration has in its issues. */
const POSTED_NAME = 'posted configuration';

const PreviewBody = Type.Object(
  {
    config: Type.String({ minLength: 1, maxLength: 1_000_000, description: 'the new configuration (YAML)' }),
    system: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    route: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    since: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: PREVIEW_MAX_LIMIT })),
  },
  { additionalProperties: false },
);

interface PreviewQuery {
  config: string;
  system?: string;
  route?: string;
  since?: string;
  limit?: number;
}

export function registerMappingPreviewRoutes(app: FastifyInstance, { auth, store }: ApiContext): void {
  app.post<{ Body: PreviewQuery }>(
    '/v1/inbound-requests/preview',
    {
      schema: {
        summary:
          "Kept native webhook requests mapped again with a new configuration's routes, compared with what they produced (admin)",
        tags: ['events'],
        security: [{ bearer: [] }],
        body: PreviewBody,
        response: { 200: MappingPreviewSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => {
      auth.requireAdmin(request);
      const q = request.body;
      const config = compilePosted(q.config);
      const systems = [...config.systems.keys()].filter((name) => inboundOf(config, name) !== undefined);
      if (q.system !== undefined && !systems.includes(q.system)) {
        throw new ValidationError(
          `system '${q.system}' has no inbound: section in the posted configuration`,
          [
            {
              pointer: '/system',
              detail: `no inbound: section (with inbound: ${systems.join(', ') || 'none'})`,
            },
          ],
        );
      }
      const limit = q.limit ?? PREVIEW_DEFAULT_LIMIT;
      const results: RequestResult[] = [];
      let truncated = false;
      for (const system of q.system !== undefined ? [q.system] : systems) {
        const room = limit - results.length;
        const filter = {
          system,
          ...(q.route !== undefined ? { route: q.route } : {}),
          ...(q.since !== undefined ? { since: q.since } : {}),
        };
        const kept = room > 0 ? await store.inboundRequests.list({ ...filter, limit: room }) : [];
        // Whether requests were left out: one more after the last one taken.
        const last = kept[kept.length - 1]?.id;
        if (kept.length === room) {
          const more = await store.inboundRequests.list({
            ...filter,
            limit: 1,
            ...(last ? { afterId: last } : {}),
          });
          truncated = more.length > 0;
        }
        for (const one of kept) {
          results.push(
            await previewRequest(
              config,
              one as KeptRequest,
              (r) => producedEvents(store, r),
              xrefResolver(config, store.xref),
            ),
          );
        }
        if (truncated) break;
      }
      return { results, totals: countVerdicts(results), ...(truncated ? { truncated } : {}) };
    },
  );
}

/** The posted YAML compiled as the hub's own file is; its issues become a 400 with line and column. */
function compilePosted(text: string): ReturnType<typeof compileConfig> {
  try {
    return compileConfig(text, POSTED_NAME, process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ManifoldError(
      'config-invalid',
      400,
      'The configuration is invalid',
      `${error.issues.length} problem(s) in the posted configuration:\n${error.message}`,
      error.issues.map((issue) => ({ pointer: '/config', detail: formatIssue(issue) })),
      {
        issues: error.issues.map(({ line, column, path, message }) => ({ line, column, path, message })),
      },
    );
  }
}

/** The events a request produced then, read from the log by position: type, id and data of each. */
async function producedEvents(store: Store, request: KeptRequest): Promise<Record<string, unknown>[]> {
  const events: Record<string, unknown>[] = [];
  for (const { id, seq } of request.events) {
    const page = await store.listEvents({ source: `/${request.system}`, afterSeq: seq - 1, limit: 1 });
    const found = page.items.find((item) => item.seq === seq)?.event;
    if (found === undefined) throw new NotFoundError(`event '${id}' (log position ${seq}) is not in the log`);
    events.push({ type: found.type, id: found.id, data: found.data });
  }
  return events;
}
