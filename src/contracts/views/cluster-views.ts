/**
 * The answer of `GET /v1/cluster`: the hub processes sharing the store, alive or dead by the process
 * registry's TTL, and the singleton loops' leases each holds. The route serializes by this schema and the
 * console reads the same type.
 */
import { type Static, Type } from '@sinclair/typebox';

const leaseFields = {
  name: Type.String({
    description: 'The loop: `alerts`, `order-cancel-after`, `source:<name>` (pollers, inboxes).',
  }),
  expiresAt: Type.String({ description: 'When it lapses unless its holder renews it.' }),
  expired: Type.Boolean({ description: 'Past its expiry: the next process asking takes it over.' }),
};
const Lease = Type.Object(leaseFields);

export const ClusterProcessSchema = Type.Object({
  incarnation: Type.String({
    description: 'Made at process start: a restarted process is a new incarnation.',
  }),
  host: Type.String(),
  pid: Type.Integer(),
  version: Type.String(),
  address: Type.Optional(Type.String({ description: 'The address it listens on, once listening.' })),
  startedAt: Type.String(),
  heartbeatAt: Type.String(),
  status: Type.Union([Type.Literal('alive'), Type.Literal('dead')], {
    description: 'dead: no heartbeat within the TTL (a crashed or hung process; forgotten after a day).',
  }),
  self: Type.Boolean({ description: 'The process that answered.' }),
  reportsStoreMetrics: Type.Boolean({
    description: 'The one process emitting the store-wide metrics (the oldest alive).',
  }),
  leases: Type.Array(Lease),
});

export const ClusterViewSchema = Type.Object({
  at: Type.String(),
  ttlMs: Type.Integer({ description: 'Heartbeat age past which a process is dead.' }),
  self: Type.String({ description: 'The incarnation of the process that answered.' }),
  alive: Type.Integer(),
  processes: Type.Array(ClusterProcessSchema),
  unattributed: Type.Array(Type.Object({ ...leaseFields, owner: Type.String() }), {
    description: 'Leases whose holder is no registered process.',
  }),
});
export type ClusterProcessView = Static<typeof ClusterProcessSchema>;
export type ClusterView = Static<typeof ClusterViewSchema>;
