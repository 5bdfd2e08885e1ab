/**
 * Reservations (docs/inventory.md): soft holds on free stock with an expiry, placed at a location by the
 * documented policy, checked in aggregate, and never oversold. The check that matters is the store's
 * conditional UPDATE at write time; what this service reads first only chooses the location. When the read
 * was stale (another hold took the units in between), the write is refused and the service reads again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type CompiledConfig, servingLocations } from '../../config/compiled-config.js';
import { HUB_SYSTEM } from '../../domain/event-catalogue.js';
import { type Demand, placeDemand } from '../../domain/inventory/availability.js';
import type { BucketDeltas } from '../../domain/inventory/position.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { ConditionNotMet } from '../../store/condition-not-met.js';
import type { Movement, ReservationLine, ReservationRecord } from '../../store/inventory-port.js';
import { type LeaseFence, LeaseLost } from '../../store/lease-fence.js';
import type { Store } from '../../store/store-port.js';
import { type IdempotencyKeys, keyInFlight } from '../idempotency-keys.js';

/** Who asks: a system (by name) or the admin key (`admin:<keyId>`). */
export type Caller = { kind: 'system'; name: string } | { kind: 'admin'; id: string };

export interface ReserveRequest {
  channel: string;
  lines: Demand[];
  ttlSeconds: number;
  reference?: string;
}

/** The answer of a POST, stored with its Idempotency-Key. */
export interface StoredResponse {
  status: number;
  body: unknown;
  /** True when this is the stored answer to an earlier request with the same key. */
  replayed: boolean;
}

/** Longest hold: a week. Longer promises are orders, not reservations. */
export const MAX_TTL_SECONDS = 7 * 24 * 3600;
/** Reads and writes tried before a request that keeps losing races is refused. */
const MAX_ROUNDS = 8;

const callerName = (caller: Caller) => (caller.kind === 'admin' ? caller.id : caller.name);

/**
 * A new reservation id: time first (base 36, fixed width), then 64 random bits, so ids are unique and
 * new rows land at the end of the key index instead of on a random page (fewer pages per commit).
 */
export function reservationId(at: Date): string {
  return `rsv_${at.getTime().toString(36).padStart(9, '0')}${randomHex8()}`;
}

/**
 * Random bytes for ids, drawn from the CSPRNG 4 KiB at a time (one call per id cost as much as the rest
 * of building a reservation); each 8 bytes are used once.
 */
const POOL_BYTES = 4096;
let pool = Buffer.alloc(0);
let poolOffset = POOL_BYTES;

function randomHex8(): string {
  if (poolOffset + 8 > pool.length) {
    pool = randomBytes(POOL_BYTES);
    poolOffset = 0;
  }
  const hex = pool.toString('hex', poolOffset, poolOffset + 8);
  poolOffset += 8;
  return hex;
}

/** The public form of a reservation (201 and GET bodies). */
export function reservationView(r: ReservationRecord): Record<string, unknown> {
  const single = r.lines.length === 1 ? (r.lines[0] as ReservationLine) : undefined;
  return {
    id: r.id,
    channel: r.channel,
    status: r.status,
    ...(single ? { sku: single.sku, location: single.location, quantity: single.quantity } : {}),
    lines: r.lines,
    expiresAt: r.expiresAt,
    createdAt: r.createdAt,
    ...(r.reference === undefined ? {} : { reference: r.reference }),
    ...(r.orderId === undefined ? {} : { orderId: r.orderId }),
    ...(r.closedAt === undefined ? {} : { closedAt: r.closedAt }),
  };
}

/** Movements that give a reservation's units back (or commit them), one per SKU × location. */
function lineMovements(
  r: ReservationRecord,
  deltasOf: (quantity: number) => BucketDeltas,
  reason: Movement['reason'],
  system: string,
  documentRef: string,
): Movement[] {
  const totals = new Map<string, ReservationLine>();
  for (const line of r.lines) {
    const key = `${line.sku}\u0000${line.location}`;
    const entry = totals.get(key);
    if (entry) entry.quantity += line.quantity;
    else totals.set(key, { ...line });
  }
  return [...totals.values()].map((line) => ({
    sku: line.sku,
    location: line.location,
    deltas: deltasOf(line.quantity),
    reason,
    guard: 'promise' as const,
    system,
    documentRef,
  }));
}

export class ReservationService {
  /** Idempotency keys whose first request is still being processed in this process. */
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly config: CompiledConfig,
    private readonly store: Store,
    private readonly keys: IdempotencyKeys,
    private readonly now: () => Date = () => new Date(),
    /** Told after every change of positions (wakes the availability publisher). */
    private readonly onChange: () => void = () => undefined,
  ) {}

  /** The locations serving a channel, in config order. */
  serving(channel: string): string[] {
    return servingLocations(this.config, channel);
  }

  /** Checks what the request names against config and the store; throws the matching problem. */
  private async check(caller: Caller, request: ReserveRequest): Promise<string[]> {
    if (!this.config.channels.has(request.channel)) {
      throw new ValidationError(`unknown channel '${request.channel}'`, [
        { pointer: '/channel', detail: `no channel '${request.channel}' in the configuration` },
      ]);
    }
    if (caller.kind === 'system') {
      const own = this.config.systems.get(caller.name)?.channel;
      if (own !== request.channel) {
        throw new ForbiddenError(
          'forbidden',
          own === undefined
            ? `system '${caller.name}' takes orders for no channel and cannot reserve for '${request.channel}'`
            : `system '${caller.name}' reserves for channel '${own}' only, not '${request.channel}'`,
        );
      }
    }
    const serving = this.serving(request.channel);
    const problems: { pointer: string; detail: string }[] = [];
    request.lines.forEach((line, i) => {
      if (line.location === undefined) return;
      if (!this.config.locations.has(line.location)) {
        problems.push({ pointer: `/lines/${i}/location`, detail: `unknown location '${line.location}'` });
      } else if (!serving.includes(line.location)) {
        problems.push({
          pointer: `/lines/${i}/location`,
          detail: `location '${line.location}' does not serve channel '${request.channel}'`,
        });
      }
    });
    if (problems.length > 0) {
      throw new ValidationError(problems.map((p) => p.detail).join('; '), problems);
    }
    return serving;
  }

  /**
   * Creates a reservation. With an Idempotency-Key, a retry with the same body gets the stored answer, a
   * different body 422, and a retry while the first is still running 409.
   */
  async reserve(caller: Caller, request: ReserveRequest, idempotencyKey?: string): Promise<StoredResponse> {
    if (idempotencyKey !== undefined) {
      const scope = `reservations:${callerName(caller)}`;
      const requestHash = createHash('sha256').update(JSON.stringify(request)).digest('hex');
      const stored = await this.replay(scope, idempotencyKey, requestHash);
      if (stored) return stored;
      // The key is stored in the reservation's own transaction, never in flight in the store: a crash
      // leaves both or neither, so a retry after it replays the reservation or makes it. Only a retry
      // racing the first request in this process is refused (across processes the loser replays).
      const flight = `${scope}\u0000${idempotencyKey}`;
      if (this.inFlight.has(flight)) throw keyInFlight();
      this.inFlight.add(flight);
      try {
        return await this.reserveOnce(caller, request, { scope, key: idempotencyKey, requestHash });
      } finally {
        this.inFlight.delete(flight);
      }
    }
    return this.reserveOnce(caller, request);
  }

  private async replay(scope: string, key: string, requestHash: string): Promise<StoredResponse | undefined> {
    const stored = await this.keys.lookup(scope, key, requestHash, keyInFlight);
    return stored && { ...stored, replayed: true };
  }

  private async reserveOnce(
    caller: Caller,
    request: ReserveRequest,
    idempotency?: { scope: string; key: string; requestHash: string },
  ): Promise<StoredResponse> {
    const serving = await this.check(caller, request);
    const skus = [...new Set(request.lines.map((l) => l.sku))];
    for (let round = 1; ; round += 1) {
      const free = new Map<string, number>();
      for (const sku of skus) {
        const positions = await this.store.inventory.positions(sku);
        // A SKU is known once it has a position anywhere (a fact or a count created it).
        if (positions.length === 0) throw new NotFoundError(`unknown SKU '${sku}'`);
        for (const p of positions) free.set(`${sku}\u0000${p.location}`, p.available);
      }
      const placement = placeDemand(
        request.lines,
        (sku, location) => free.get(`${sku}\u0000${location}`) ?? 0,
        serving,
      );
      if (!placement.ok) {
        const s = placement.shortfall;
        const where =
          s.location === undefined ? `at any location serving '${request.channel}'` : `at ${s.location}`;
        throw new ConflictError(
          'insufficient-stock',
          'Insufficient stock',
          `${s.requested} of '${s.sku}' requested, ${s.available} available ${where}`,
          {
            sku: s.sku,
            requested: s.requested,
            available: s.available,
            ...(s.location ? { location: s.location } : {}),
          },
        );
      }
      const at = this.now();
      const id = reservationId(at);
      const holder = callerName(caller);
      const record: ReservationRecord = {
        id,
        channel: request.channel,
        system: holder,
        status: 'open',
        ...(request.reference === undefined ? {} : { reference: request.reference }),
        expiresAt: new Date(at.getTime() + request.ttlSeconds * 1000).toISOString(),
        createdAt: at.toISOString(),
        lines: request.lines.map((line, i) => ({
          sku: line.sku,
          location: placement.locationOf[i] as string,
          quantity: line.quantity,
        })),
      };
      const movements: Movement[] = placement.placed.map((p) => ({
        sku: p.sku,
        location: p.location,
        deltas: { reserved: p.quantity },
        reason: 'reservation_created',
        guard: 'promise',
        system: holder,
        documentRef: id,
      }));
      const response = { status: 201, body: reservationView(record) };
      try {
        await this.store.inventory.createReservation(
          record,
          movements,
          idempotency && { ...idempotency, status: response.status, body: response.body },
        );
        this.onChange();
        return { ...response, replayed: false };
      } catch (error) {
        if (error instanceof ConditionNotMet && round < MAX_ROUNDS) continue; // stock moved: read again
        if (!(error instanceof ConditionNotMet) && idempotency) {
          // Another process may have stored this key first (unique key): answer with its response.
          const stored = await this.replay(idempotency.scope, idempotency.key, idempotency.requestHash);
          if (stored) return stored;
        }
        if (error instanceof ConditionNotMet) {
          throw new ConflictError(
            'insufficient-stock',
            'Insufficient stock',
            'the stock was taken by concurrent requests while this one was placed; retry',
            { sku: request.lines[0]?.sku, requested: request.lines[0]?.quantity, available: 0 },
          );
        }
        throw error;
      }
    }
  }

  /** A reservation the caller may see and act on (its holder, or admin). */
  async get(caller: Caller, id: string): Promise<ReservationRecord> {
    const record = await this.store.inventory.getReservation(id);
    if (!record) throw new NotFoundError(`no reservation '${id}'`);
    if (caller.kind === 'system' && record.system !== caller.name) {
      throw new ForbiddenError('forbidden', `reservation '${id}' is held by another system`);
    }
    return record;
  }

  /** Releases a hold (idempotent: releasing a released or expired hold answers its current state). */
  async release(caller: Caller, id: string): Promise<ReservationRecord> {
    const record = await this.get(caller, id);
    if (record.status === 'committed') {
      throw new ConflictError(
        'reservation-committed',
        'Reservation already committed',
        `reservation '${id}' was committed to order '${record.orderId}'; cancel the order line instead`,
      );
    }
    if (record.status !== 'open') return record;
    const at = this.now().toISOString();
    const movements = lineMovements(
      record,
      (q) => ({ reserved: -q }),
      'reservation_released',
      callerName(caller),
      id,
    );
    try {
      await this.store.inventory.closeReservation(
        id,
        { status: 'released', at, by: callerName(caller) },
        movements,
      );
      this.onChange();
    } catch (error) {
      if (!(error instanceof ConditionNotMet)) throw error;
      return this.release(caller, id); // closed meanwhile (expired or committed): answer from its state
    }
    return (await this.store.inventory.getReservation(id)) as ReservationRecord;
  }

  /** Turns a hold into an order commitment: `reserved → committed`, in one transaction. */
  async commit(caller: Caller, id: string, orderId: string): Promise<ReservationRecord> {
    const record = await this.get(caller, id);
    const at = this.now();
    if (record.status === 'committed' && record.orderId === orderId) return record; // a retry
    if (record.status !== 'open' || Date.parse(record.expiresAt) <= at.getTime()) {
      const status = record.status === 'open' ? 'expired' : record.status;
      throw new ConflictError(
        `reservation-${status}`,
        'Reservation not open',
        `reservation '${id}' is ${status}${record.orderId ? ` (order '${record.orderId}')` : ''}; it cannot be committed`,
        { reservationStatus: status },
      );
    }
    const movements = lineMovements(
      record,
      (q) => ({ reserved: -q, committed: q }),
      'reservation_committed',
      callerName(caller),
      orderId,
    );
    try {
      await this.store.inventory.closeReservation(
        id,
        { status: 'committed', at: at.toISOString(), by: callerName(caller), orderId },
        movements,
      );
      this.onChange();
    } catch (error) {
      if (!(error instanceof ConditionNotMet)) throw error;
      return this.commit(caller, id, orderId); // closed meanwhile: answer from its state
    }
    return (await this.store.inventory.getReservation(id)) as ReservationRecord;
  }

  /**
   * Releases every hold past its expiry with reason `reservation_expired` — also those that expired while
   * the hub was down (it runs at start). Returns how many it released. `fence`: the lease the sweep runs
   * under, carried by each release; when it has moved (`LeaseLost`, that release not written) the sweep
   * stops and rethrows, the releases before it kept.
   */
  async expire(limit = 500, fence?: LeaseFence): Promise<number> {
    const now = this.now().toISOString();
    let released = 0;
    for (const id of await this.store.inventory.expiredReservations(now, limit)) {
      const record = await this.store.inventory.getReservation(id);
      if (record?.status !== 'open') continue;
      const movements = lineMovements(
        record,
        (q) => ({ reserved: -q }),
        'reservation_expired',
        HUB_SYSTEM,
        id,
      );
      try {
        await this.store.inventory.closeReservation(
          id,
          { status: 'expired', at: now, by: HUB_SYSTEM },
          movements,
          fence,
        );
        released += 1;
      } catch (error) {
        if (error instanceof LeaseLost) {
          if (released > 0) this.onChange(); // what was released before is written: publish it
          throw error;
        }
        if (!(error instanceof ConditionNotMet)) throw error; // committed or released meanwhile
      }
    }
    if (released > 0) this.onChange();
    return released;
  }
}
