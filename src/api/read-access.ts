/**
 * What one request may read, from its key (docs/security.md): the admin key reads everything; a system's
 * key reads within the system's read scope. Routes ask it record by record; a record out of scope is
 * answered as if it did not exist (404), and lists leave it out.
 */
import {
  INVENTORY_READ_LEVELS,
  mayReadChannelStock,
  mayReadLocation,
  mayReadOrder,
  orderLocations,
  type ReadScope,
} from '../domain/read-scope.js';
import type { OrderReadOptions } from '../engine/orders/order-service.js';
import { ForbiddenError } from '../errors.js';
import type { ReservationRecord } from '../store/inventory-port.js';
import type { OrderRecord } from '../store/order-port.js';

export class Reader {
  private constructor(
    /** The system reading, or undefined for the admin key. */
    readonly system: string | undefined,
    private readonly scope: ReadScope | undefined,
  ) {}

  /** The admin key: reads everything. */
  static admin(): Reader {
    return new Reader(undefined, undefined);
  }

  /** A system's key, within `scope`. */
  static system(name: string, scope: ReadScope): Reader {
    return new Reader(name, scope);
  }

  /** True when every order (and reservation) is readable: the admin key or `orders: all`. */
  get allOrders(): boolean {
    return this.scope === undefined || this.scope.orders === 'all';
  }

  /** True when the whole inventory is readable: the admin key or `inventory: all`. */
  get allInventory(): boolean {
    return this.scope === undefined || this.scope.inventory === 'all';
  }

  /**
   * The store filter that selects exactly the readable orders, when one can (`own` and `channel`
   * levels); undefined when every order is readable or only `mayReadOrder` can tell (`location`).
   */
  orderFilter(): { system: string; channels: readonly string[] } | undefined {
    if (this.system === undefined || this.scope === undefined) return undefined;
    if (this.scope.orders === 'own') return { system: this.system, channels: [] };
    if (this.scope.orders === 'channel') return { system: this.system, channels: this.scope.channels };
    return undefined;
  }

  mayReadOrder(order: OrderRecord): boolean {
    if (this.system === undefined || this.scope === undefined) return true;
    return mayReadOrder(this.system, this.scope, {
      channel: order.channel,
      system: order.system,
      locations: orderLocations(order.state),
    });
  }

  mayReadReservation(reservation: ReservationRecord): boolean {
    if (this.system === undefined || this.scope === undefined) return true;
    return mayReadOrder(this.system, this.scope, {
      channel: reservation.channel,
      system: reservation.system,
      locations: reservation.lines.map((l) => l.location),
    });
  }

  /** The locations whose positions and ledger are readable; undefined for every location. */
  readableLocations(): readonly string[] | undefined {
    if (this.scope === undefined || this.scope.inventory === 'all') return undefined;
    return this.scope.inventory === 'location' ? this.scope.locations : [];
  }

  /** Positions, ledger rows and drift lines at `location`. */
  mayReadLocation(location: string): boolean {
    return this.scope === undefined || mayReadLocation(this.scope, location);
  }

  /** The available to promise of `channel`. */
  mayReadChannelStock(channel: string): boolean {
    return this.scope === undefined || mayReadChannelStock(this.scope, channel);
  }

  /**
   * Throws 403 unless the key reads at least `level` of the inventory (`channel`: available to promise;
   * `location`: positions, ledger and drift at its locations).
   */
  requireInventory(level: 'channel' | 'location', what: string): void {
    if (this.scope === undefined) return;
    const rank = INVENTORY_READ_LEVELS.indexOf(this.scope.inventory);
    if (rank >= INVENTORY_READ_LEVELS.indexOf(level)) return;
    throw new ForbiddenError(
      'forbidden',
      `system '${this.system}' does not read ${what}: its inventory read scope is '${this.scope.inventory}' (docs/security.md)`,
    );
  }

  /** Throws 403 unless the channel's stock is readable. */
  requireChannelStock(channel: string): void {
    if (this.mayReadChannelStock(channel)) return;
    throw new ForbiddenError(
      'forbidden',
      `system '${this.system}' does not read the stock of channel '${channel}' (its read scope: docs/security.md)`,
    );
  }

  /**
   * How much of an order's deliveries this reader sees: all of them with `orders: all`, else only the
   * deliveries to itself (never another target's attempts or answers).
   */
  orderReadOptions(): OrderReadOptions {
    return this.allOrders || this.system === undefined ? {} : { deliveriesTo: this.system };
  }
}
