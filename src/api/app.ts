/**
 * The HTTP face of the hub: a Fastify instance with the v1 routes, CloudEvents content types, bearer
 * auth, RFC 9457 errors and the OpenAPI document. Built from compiled config and an open store, so that
 * tests can run it in-process with `inject()`.
 */
import swagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { CompiledConfig } from '../config/compiled-config.js';
import type { TargetHealth } from '../engine/delivery/delivery-engine.js';
import { EdiEngine } from '../engine/edi/edi-engine.js';
import { EdiInbound } from '../engine/edi/edi-inbound.js';
import { IdempotencyKeys } from '../engine/idempotency-keys.js';
import { IngestService } from '../engine/ingest-service.js';
import { InventoryEngine } from '../engine/inventory/inventory-engine.js';
import { AlertEngine } from '../engine/observability/alert-engine.js';
import { Telemetry } from '../engine/observability/telemetry.js';
import { OrderEngine } from '../engine/orders/order-engine.js';
import { ProcessRegistry } from '../engine/process-registry.js';
import { ManifoldError, NotFoundError } from '../errors.js';
import type { Store } from '../store/store-port.js';
import type { ApiContext } from './api-context.js';
import { Authenticator } from './auth.js';
import { parseJsonBody } from './json-body.js';
import { clientErrorResponse, sendProblem } from './problem.js';
import { registerAlertRoutes } from './routes/alert-routes.js';
import { registerConsoleRoutes } from './routes/console-routes.js';
import { registerEdiRoutes } from './routes/edi-routes.js';
import { registerEventRoutes } from './routes/event-routes.js';
import { registerExceptionRoutes } from './routes/exception-routes.js';
import { registerHealthRoutes } from './routes/health-routes.js';
import { registerInventoryRoutes } from './routes/inventory-routes.js';
import { registerMetricsRoutes } from './routes/metrics-routes.js';
import { registerOrderRoutes } from './routes/order-routes.js';
import { registerOverviewRoutes } from './routes/overview-routes.js';
import { registerReplayRoutes } from './routes/replay-routes.js';
import { registerReservationRoutes } from './routes/reservation-routes.js';
import { registerSchemaRoutes } from './routes/schema-routes.js';

/** What the API needs of the delivery engine (absent: the API runs without delivery, as in some tests). */
export interface DeliveryControl {
  wake(subscriptions?: Iterable<string>): void;
  targets(): TargetHealth[];
}

export interface AppOptions {
  config: CompiledConfig;
  store: Store;
  logger: Logger;
  delivery?: DeliveryControl;
  /** The hub's metrics; a fresh one when omitted. */
  telemetry?: Telemetry;
  /** This process in the store's process registry; a fresh, unregistered one when omitted (tests). */
  processes?: ProcessRegistry;
}

export interface HubApp {
  app: FastifyInstance;
  context: ApiContext;
  /** Marks the hub as draining: `/readyz` answers 503 so load balancers stop sending. */
  beginShutdown(): void;
}

const ProblemSchema = Type.Object(
  {
    type: Type.String({ format: 'uri' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    instance: Type.Optional(Type.String()),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          pointer: Type.String({ description: 'RFC 6901 JSON pointer to the offending field' }),
          detail: Type.String(),
          index: Type.Optional(Type.Integer()),
          code: Type.Optional(Type.String()),
        }),
      ),
    ),
  },
  { $id: 'Problem', additionalProperties: true, description: 'RFC 9457 problem details' },
);

const JSON_TYPES = ['application/json', 'application/cloudevents+json', 'application/cloudevents-batch+json'];

/** Builds the Fastify app (not listening). */
export async function buildApp({
  config,
  store,
  logger,
  delivery,
  telemetry = new Telemetry(),
  processes = new ProcessRegistry(store),
}: AppOptions): Promise<HubApp> {
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Fastify's per-request lines are off: ingest logs one line per request with its correlation ids.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: config.server.bodyLimit,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true },
    },
    // Requests that arrive while the hub closes get 503 as a problem document (below), not Fastify's JSON.
    return503OnClosing: false,
    requestTimeout: config.server.requestTimeoutMs,
    // Errors Fastify raises before routing (a URL that does not decode) are problems like any other.
    frameworkErrors: (error, request, reply) => sendProblem(error, request, reply),
    clientErrorHandler: (error: Error & { code?: string }, socket) => {
      if (error.code === 'ECONNRESET' || socket.destroyed) return;
      if (socket.writable && socket.bytesWritten === 0) socket.write(clientErrorResponse(error));
      socket.destroy();
    },
  });
  let shuttingDown = false;
  const auth = new Authenticator(config);
  const wakeDelivery = (subscription: string | undefined) =>
    delivery?.wake(subscription === undefined ? undefined : [subscription]);
  let inventory: InventoryEngine | undefined;
  let orders: OrderEngine | undefined;
  const ingest = new IngestService(
    config,
    store,
    (subscriptions) => delivery?.wake(subscriptions),
    (types) => {
      inventory?.ingested(types);
      orders?.ingested(types);
    },
    telemetry,
  );
  const onError = (loop: string, error: unknown) =>
    logger.error({ err: error, loop }, 'background loop failed; retried on the next tick');
  // One set of Idempotency-Keys for every route that takes one, owned by this process's incarnation.
  const keys = new IdempotencyKeys(store, processes);
  const inventoryEngine = new InventoryEngine(config, store, ingest, {
    onError,
    keys,
    idempotencyTtlMs: config.orders.idempotencyHours * 3600_000,
  });
  inventory = inventoryEngine;
  orders = new OrderEngine(config, store, ingest, {
    onError,
    keys,
    onStockChange: () => inventoryEngine.changed(),
  });
  const edi = new EdiInbound(config, store, ingest, keys);
  edi.onAnswer = (partner, answer) => {
    for (const set of answer.sets) {
      telemetry.edi.inc({ partner, set: set.type, direction: 'in', outcome: set.outcome });
    }
  };
  const ediEngine = new EdiEngine(config, store, edi, { onError });
  const alerts = new AlertEngine(config, store, ingest, {
    onError,
    circuits: () => (delivery?.targets() ?? []).map((t) => ({ system: t.system, state: t.circuit.state })),
    onTransition: (alert, transition) => {
      const fields = { alert: alert.rule, scope: alert.scope, severity: alert.severity, value: alert.value };
      if (transition === 'fired') logger.warn(fields, `alert firing: ${alert.summary}`);
      else logger.info(fields, `alert resolved: ${alert.summary}`);
    },
  });
  const context: ApiContext = {
    config,
    store,
    auth,
    ingest,
    inventory,
    orders,
    edi,
    ediEngine,
    alerts,
    telemetry,
    processes,
    ...(delivery ? { delivery } : {}),
    wakeDelivery,
  };
  telemetry.attach({
    backlog: () => store.delivery.deliveryBacklog(),
    openExceptions: () => store.delivery.openExceptionCounts(),
    circuits: () => (delivery?.targets() ?? []).map((t) => ({ system: t.system, state: t.circuit.state })),
    targetLimits: () =>
      (delivery?.targets() ?? []).map((t) => ({
        system: t.system,
        limit: t.concurrency.limit,
        paused: t.concurrency.pausedUntil !== undefined,
      })),
    drift: () => store.inventory.latestDrift(),
    alerts: async () => {
      const { alerts: instances } = await alerts.list();
      return config.alerts.map((rule) => ({
        rule: rule.name,
        firing: instances.some((a) => a.rule === rule.name && a.status === 'firing'),
      }));
    },
  });

  app.addSchema(ProblemSchema);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Manifold hub API',
        version: '1.0.0',
        description:
          'Distribution sync hub: canonical inventory and order lifecycle across ERP, WMS, TMS, commerce and EDI.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    },
  });

  // JSON bodies are parsed with plain JSON.parse: nothing merges request objects into others, so
  // prototype-poisoning guards buy nothing here, and ingest is the hot path.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(JSON_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.setErrorHandler((error, request, reply) => sendProblem(error, request, reply));
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  // Callback style: an async hook would cost every request a promise for a check that is false until close.
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    reply.header('connection', 'close');
    sendProblem(
      new ManifoldError(
        'shutting-down',
        503,
        'Service unavailable',
        'the hub is shutting down; nothing was done, so send the request again (to another instance, or once it is back)',
      ),
      request,
      reply,
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}`), request, reply),
  );

  registerHealthRoutes(
    app,
    store,
    () => shuttingDown,
    () => delivery?.targets() ?? [],
  );
  registerMetricsRoutes(app, context);
  registerAlertRoutes(app, context);
  registerSchemaRoutes(app);
  registerEventRoutes(app, context);
  registerExceptionRoutes(app, context);
  registerReplayRoutes(app, context);
  registerInventoryRoutes(app, context);
  registerReservationRoutes(app, context);
  registerOrderRoutes(app, context);
  registerEdiRoutes(app, context);
  registerOverviewRoutes(app, context);
  registerConsoleRoutes(app);
  app.get(
    '/openapi.json',
    { schema: { summary: 'This OpenAPI document', tags: ['contracts'], hide: false } },
    async () => app.swagger(),
  );

  await app.ready();
  return {
    app,
    context,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
