/**
 * Reservations: `POST /v1/reservations` (one SKU, or `lines` checked in aggregate; all or nothing;
 * `Idempotency-Key` honoured), `GET` and `DELETE /v1/reservations/{id}`, and
 * `POST /v1/reservations/{id}/commit`. Holders: the channel's own system, or the admin key. A reservation
 * out of the key's read scope (docs/security.md) answers 404 to every route; one in scope but held by
 * another system can be read, not released or committed (403).
 */
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_QUANTITY } from '../../contracts/common-schemas.js';
import type { Caller } from '../../engine/inventory/reservation-service.js';
import { MAX_TTL_SECONDS, reservationView } from '../../engine/inventory/reservation-service.js';
import { ManifoldError, NotFoundError, ValidationError } from '../../errors.js';
import type { ReservationRecord } from '../../store/inventory-port.js';
import type { ApiContext } from '../api-context.js';
import type { Authenticator } from '../auth.js';

const Problem = { $ref: 'Problem#' };
const Quantity = Type.Integer({ minimum: 1, maximum: MAX_QUANTITY, description: 'Whole units, at least 1' });
const Sku = Type.String({ minLength: 1, maxLength: 200 });
const Location = Type.String({ minLength: 1, description: 'Location to hold at; by policy when absent' });

const ReserveBody = Type.Object(
  {
    channel: Type.String({ minLength: 1 }),
    sku: Type.Optional(Sku),
    quantity: Type.Optional(Quantity),
    location: Type.Optional(Location),
    lines: Type.Optional(
      Type.Array(
        Type.Object(
          { sku: Sku, quantity: Quantity, location: Type.Optional(Location) },
          { additionalProperties: false },
        ),
        { minItems: 1, maxItems: 500 },
      ),
    ),
    ttlSeconds: Type.Integer({ minimum: 1, maximum: MAX_TTL_SECONDS, default: 900 }),
    reference: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Cart, quote or PO number' }),
    ),
  },
  { additionalProperties: false },
);

const ReservationView = Type.Object({
  id: Type.String(),
  channel: Type.String(),
  status: Type.String(),
  sku: Type.Optional(Type.String()),
  location: Type.Optional(Type.String()),
  quantity: Type.Optional(Type.Integer()),
  lines: Type.Array(Type.Object({ sku: Type.String(), location: Type.String(), quantity: Type.Integer() })),
  expiresAt: Type.String(),
  createdAt: Type.String(),
  reference: Type.Optional(Type.String()),
  orderId: Type.Optional(Type.String()),
  closedAt: Type.Optional(Type.String()),
});

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

function callerOf(auth: Authenticator, request: FastifyRequest): Caller {
  const principal = auth.authenticate(request);
  return principal.kind === 'admin'
    ? { kind: 'admin', id: `admin:${principal.keyId}` }
    : { kind: 'system', name: principal.name };
}

/** Registers the reservation routes. */
export function registerReservationRoutes(
  app: FastifyInstance,
  { auth, inventory, telemetry, store }: ApiContext,
): void {
  const service = inventory.reservations;

  /** The reservation if it is in the key's read scope; 404 alike when it is not and when it is missing. */
  const readable = async (request: FastifyRequest, id: string): Promise<ReservationRecord> => {
    const reader = auth.reader(request);
    const record = await store.inventory.getReservation(id);
    if (!record || !reader.mayReadReservation(record)) throw new NotFoundError(`no reservation '${id}'`);
    return record;
  };
  /** The caller, once the reservation is in its read scope (the holder check is the service's). */
  const holderCandidate = async (request: FastifyRequest, id: string): Promise<Caller> => {
    await readable(request, id);
    return callerOf(auth, request);
  };

  app.post<{ Body: Static<typeof ReserveBody>; Headers: { 'idempotency-key'?: string } }>(
    '/v1/reservations',
    {
      schema: {
        summary: 'Hold stock for a channel until it expires, is released or is committed to an order',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        headers: Type.Object({
          'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
        }),
        body: ReserveBody,
        response: {
          201: ReservationView,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request, reply) => {
      const caller = callerOf(auth, request);
      const body = request.body;
      const single = body.sku !== undefined || body.quantity !== undefined || body.location !== undefined;
      if (body.lines !== undefined && single) {
        throw new ValidationError('send either sku/quantity/location or lines, not both', [
          { pointer: '/lines', detail: 'lines cannot be combined with sku, quantity or location' },
        ]);
      }
      if (body.lines === undefined && (body.sku === undefined || body.quantity === undefined)) {
        const missing = body.sku === undefined ? 'sku' : 'quantity';
        throw new ValidationError(`missing ${missing}`, [
          { pointer: `/${missing}`, detail: `required (or send lines: [{sku, quantity, location?}])` },
        ]);
      }
      const lines = body.lines ?? [
        {
          sku: body.sku as string,
          quantity: body.quantity as number,
          ...(body.location === undefined ? {} : { location: body.location }),
        },
      ];
      const answer = await service
        .reserve(
          caller,
          {
            channel: body.channel,
            lines,
            ttlSeconds: body.ttlSeconds,
            ...(body.reference === undefined ? {} : { reference: body.reference }),
          },
          request.headers['idempotency-key'],
        )
        .catch((error: unknown) => {
          if (error instanceof ManifoldError && error.code === 'insufficient-stock') {
            telemetry.reservations.inc({ channel: body.channel, outcome: 'refused' });
            telemetry.oversellsPrevented.inc({ via: 'reservation' });
          }
          throw error;
        });
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      else if (answer.status === 201) telemetry.reservations.inc({ channel: body.channel, outcome: 'won' });
      return reply.code(answer.status).send(answer.body);
    },
  );

  app.get<{ Params: Static<typeof IdParams> }>(
    '/v1/reservations/:id',
    {
      schema: {
        summary: 'A reservation',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: ReservationView, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => reservationView(await readable(request, request.params.id)),
  );

  app.delete<{ Params: Static<typeof IdParams> }>(
    '/v1/reservations/:id',
    {
      schema: {
        summary: 'Release a reservation (its units become available again)',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        params: IdParams,
        response: { 200: ReservationView, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) =>
      reservationView(
        await service.release(await holderCandidate(request, request.params.id), request.params.id),
      ),
  );

  app.post<{ Params: Static<typeof IdParams>; Body: { orderId: string } }>(
    '/v1/reservations/:id/commit',
    {
      schema: {
        summary: 'Commit a reservation to an order: reserved → committed in one transaction',
        tags: ['inventory'],
        security: [{ bearer: [] }],
        params: IdParams,
        body: Type.Object(
          { orderId: Type.String({ minLength: 1, maxLength: 200 }) },
          { additionalProperties: false },
        ),
        response: {
          200: ReservationView,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request) =>
      reservationView(
        await service.commit(
          await holderCandidate(request, request.params.id),
          request.params.id,
          request.body.orderId,
        ),
      ),
  );
}
