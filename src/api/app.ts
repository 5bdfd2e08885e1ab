/**
 * The HTTP face of the hub: a Fastify instance with the v1 routes, CloudEvents content types, bearer
 * auth, RFC 9457 errors and the OpenAPI document. Built over the services the composition root made
 * (src/main/compose.ts); it constructs none itself. Tests run it in-process with `inject()`.
 */
import swagger from '@fastify/swagger';
import { Type } from '@sinclair/typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import { ManifoldError, NotFoundError } from '../errors.js';
import type { ApiContext, ApiServices } from './api-context.js';
import { apiRoutes } from './api-routes.js';
import { Authenticator } from './auth.js';
import { parseJsonBody } from './json-body.js';
import { clientErrorResponse, sendProblem } from './problem.js';

export interface AppOptions {
  /** The hub's services, built by the composition root (src/main/compose.ts). */
  services: ApiServices;
  logger: Logger;
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

/** Builds the Fastify app over the hub's services (not listening). */
export async function buildApp({ services, logger }: AppOptions): Promise<HubApp> {
  const { config, store, delivery } = services;
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
  const context: ApiContext = {
    config,
    store,
    auth: new Authenticator(config),
    ingest: services.ingest,
    inventory: services.inventory,
    orders: services.orders,
    inbound: services.inbound,
    alerts: services.alerts,
    cluster: services.cluster,
    telemetry: services.telemetry,
    ...(delivery ? { delivery } : {}),
    wakeDelivery: services.wakeDelivery,
    ...(services.sources ? { sources: services.sources } : {}),
  };

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

  await app.register(apiRoutes, { context, isShuttingDown: () => shuttingDown });

  await app.ready();
  return {
    app,
    context,
    beginShutdown: () => {
      shuttingDown = true;
    },
  };
}
