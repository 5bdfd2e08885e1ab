/**
 * Every route group of the v1 API as one Fastify plugin, registered over the services it is given.
 * Route files only read what they need from the {@link ApiContext}; none builds a service.
 */
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from './api-context.js';
import { registerAlertRoutes } from './routes/alert-routes.js';
import { registerAs2Routes } from './routes/as2-routes.js';
import { registerBacklogRoutes } from './routes/backlog-routes.js';
import { registerClusterRoutes } from './routes/cluster-routes.js';
import { registerConnectorRoutes } from './routes/connector-routes.js';
import { registerConsoleRoutes } from './routes/console-routes.js';
import { registerEdiRoutes } from './routes/edi-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerExceptionRoutes } from './routes/exception-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerInboundRoutes } from './routes/inbound-routes.js';
import { registerInventoryRoutes } from './routes/inventory-routes.js';
import { registerMappingPreviewRoutes } from './routes/mapping-preview-routes.js';
import { registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerOrderRoutes } from './routes/order-routes.js';
import { registerOverviewRoutes } from './routes/overview-routes.js';
import { registerReplayRoutes } from './routes/replay-routes.js';
import { registerReservationRoutes } from './routes/reservation-routes.js';
import { registerSchemaRoutes } from './routes/schema-routes.js';
import { registerSeriesRoutes } from './routes/series-routes.js';
import { registerServiceLevelRoutes } from './routes/service-level-routes.js';
import { registerXrefRoutes } from './routes/xref-routes.js';
import { registerXrefTableRoutes } from './routes/xref-table-routes.js';

export interface ApiRoutesOptions {
  context: ApiContext;
  /** Whether the hub is draining (`/readyz` then answers 503). */
  isShuttingDown: () => boolean;
}

/** Registers the health, metrics, v1, console and OpenAPI routes. */
export async function apiRoutes(
  app: FastifyInstance,
  { context, isShuttingDown }: ApiRoutesOptions,
): Promise<void> {
  registerHealthRoutes(
    app,
    context.store,
    isShuttingDown,
    () => context.delivery?.targets() ?? [],
    async () => (await context.sources?.status()) ?? [],
  );
  registerMetricsRoutes(app, context);
  registerAlertRoutes(app, context);
  registerClusterRoutes(app, context);
  registerSchemaRoutes(app);
  registerEventRoutes(app, context);
  registerExceptionRoutes(app, context);
  registerReplayRoutes(app, context);
  registerInventoryRoutes(app, context);
  registerReservationRoutes(app, context);
  registerOrderRoutes(app, context);
  registerEdiRoutes(app, context);
  registerAs2Routes(app, context);
  registerInboundRoutes(app, context);
  registerConnectorRoutes(app, context);
  registerMappingPreviewRoutes(app, context);
  registerOverviewRoutes(app, context);
  registerSeriesRoutes(app, context);
  registerServiceLevelRoutes(app, context);
  registerBacklogRoutes(app, context);
  registerXrefRoutes(app, context);
  registerXrefTableRoutes(app, context);
  registerConsoleRoutes(app);
  app.get(
    '/openapi.json',
    { schema: { summary: 'This OpenAPI document', tags: ['contracts'], hide: false } },
    async () => app.swagger(),
  );
}
