/**
 * The state of the fake shop and the resolvers of the schema's fields over it: inventory levels (the
 * `available` quantity of an item at a location), with a compare-and-swap set and idempotency keys as the
 * 2026-04 reference describes them; orders with their fulfillment orders, and the fulfillments made.
 */
import { createHash } from 'node:crypto';

export interface UserError {
  code?: string;
  field: string[];
  message: string;
}

export interface FulfillmentOrderState {
  id: string;
  status: 'OPEN' | 'IN_PROGRESS' | 'CLOSED' | 'CANCELLED' | 'ON_HOLD';
  location: string;
  lines: { id: string; lineItemId: string; sku: string; total: number; remaining: number }[];
}

export interface FulfillmentState {
  id: string;
  fulfillmentOrderId: string;
  lines: { id: string; quantity: number }[];
  tracking?: { company?: string; number?: string; url?: string };
  notifyCustomer?: boolean;
}

interface QuantityInput {
  inventoryItemId: string;
  locationId: string;
  quantity: number;
  changeFromQuantity?: number | null;
  compareQuantity?: number | null;
}

/** A request kept under its idempotency key: its parameters and what it answered. */
interface Kept {
  digest: string;
  failed: boolean;
  answer: unknown;
}

export class FakeShop {
  /** Inventory item id → SKU. */
  readonly items = new Map<string, string>();
  readonly locations = new Map<string, string>();
  /** `item|location` → the `available` quantity (a level exists only where the item is stocked). */
  readonly levels = new Map<string, number>();
  readonly orders = new Map<string, { name: string; fulfillmentOrders: FulfillmentOrderState[] }>();
  readonly fulfillments: FulfillmentState[] = [];
  /** Every inventorySetQuantities the shop applied or refused: the input and the user errors. */
  readonly sets: { quantities: QuantityInput[]; userErrors: UserError[]; replayed: boolean }[] = [];
  /** Sales to make just before the next set of an item: a sale between the hub's read and its write. */
  private readonly pendingSales = new Map<string, number>();
  private readonly idempotency = new Map<string, Kept>();
  private sequence = 1000;

  stock(item: string, sku: string, location: string, available: number): void {
    this.items.set(item, sku);
    if (!this.locations.has(location)) this.locations.set(location, `Location ${location}`);
    this.levels.set(`${item}|${location}`, available);
  }

  level(item: string, location: string): number | undefined {
    return this.levels.get(`${item}|${location}`);
  }

  /** A customer buys `quantity` just before the next set of `item` reaches the shop. */
  sellBeforeNextSet(item: string, location: string, quantity: number, times = 1): void {
    for (let i = 0; i < times; i++) {
      const key = `${item}|${location}|${i}`;
      this.pendingSales.set(key, quantity);
    }
  }

  private nextId(kind: string): string {
    this.sequence += 1;
    return `gid://shopify/${kind}/${this.sequence}`;
  }

  /** Resolvers, as graphql-js's default resolver calls them (args first). */
  root(directiveKey: () => string | undefined): Record<string, unknown> {
    return {
      inventoryItem: ({ id }: { id: string }) => this.inventoryItem(id),
      location: ({ id }: { id?: string }) =>
        id !== undefined && this.locations.has(id) ? { id, name: this.locations.get(id) } : null,
      order: ({ id }: { id: string }) => this.order(id),
      inventorySetQuantities: ({ input }: { input: Record<string, unknown> }) =>
        this.idempotent(directiveKey(), input, () =>
          this.setQuantities(input as { name: string; reason: string; quantities: QuantityInput[] }),
        ),
      fulfillmentCreate: ({ fulfillment }: { fulfillment: Record<string, unknown> }) =>
        this.fulfillmentCreate(fulfillment as unknown as FulfillmentInput),
    };
  }

  private inventoryItem(id: string) {
    const sku = this.items.get(id);
    if (sku === undefined) return null;
    return {
      id,
      sku,
      tracked: true,
      inventoryLevel: ({ locationId }: { locationId: string }) => {
        const available = this.level(id, locationId);
        if (available === undefined) return null;
        return {
          id: `gid://shopify/InventoryLevel/${encodeURIComponent(`${id}|${locationId}`)}`,
          location: { id: locationId, name: this.locations.get(locationId) },
          updatedAt: new Date().toISOString(),
          quantities: ({ names }: { names: string[] }) =>
            names
              .filter((name) => name === 'available')
              .map((name) => ({ id: `${id}|${locationId}|${name}`, name, quantity: available })),
        };
      },
    };
  }

  /**
   * Runs `apply` once per idempotency key: the same key with the same input answers what the first
   * answered; with another input, IDEMPOTENCY_KEY_PARAMETER_MISMATCH; after a failed first request,
   * IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED (shopify.dev/docs/api/usage/implementing-idempotency).
   */
  private idempotent(
    key: string | undefined,
    input: unknown,
    apply: () => { userErrors: UserError[] },
  ): unknown {
    if (key === undefined) {
      throw new Error('The @idempotent directive is required for this mutation as of API version 2026-04.');
    }
    const digest = createHash('sha256').update(JSON.stringify(input)).digest('hex');
    const kept = this.idempotency.get(key);
    if (kept !== undefined) {
      const code =
        kept.digest !== digest
          ? 'IDEMPOTENCY_KEY_PARAMETER_MISMATCH'
          : kept.failed
            ? 'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED'
            : undefined;
      if (code === undefined) {
        this.sets.push({ quantities: [], userErrors: [], replayed: true });
        return kept.answer;
      }
      return {
        inventoryAdjustmentGroup: null,
        userErrors: [{ code, field: ['input'], message: `idempotency key ${key}: ${code}` }],
      };
    }
    const answer = apply();
    this.idempotency.set(key, { digest, failed: answer.userErrors.length > 0, answer });
    return answer;
  }

  private setQuantities(input: { name: string; reason: string; quantities: QuantityInput[] }) {
    const userErrors: UserError[] = [];
    if (input.name !== 'available' && input.name !== 'on_hand') {
      userErrors.push({
        code: 'INVALID_NAME',
        field: ['input', 'name'],
        message: "The quantity name must be either 'available' or 'on_hand'.",
      });
    }
    input.quantities.forEach((q, i) => {
      const field = ['input', 'quantities', String(i)];
      // A sale between the hub's read and this write.
      for (const [saleKey, sold] of this.pendingSales) {
        if (saleKey.startsWith(`${q.inventoryItemId}|${q.locationId}|`)) {
          this.pendingSales.delete(saleKey);
          const before = this.level(q.inventoryItemId, q.locationId) ?? 0;
          this.levels.set(`${q.inventoryItemId}|${q.locationId}`, before - sold);
          break;
        }
      }
      if (!this.items.has(q.inventoryItemId)) {
        userErrors.push({
          code: 'INVALID_INVENTORY_ITEM',
          field: [...field, 'inventoryItemId'],
          message: 'The specified inventory item could not be found.',
        });
      } else if (
        !this.locations.has(q.locationId) ||
        this.level(q.inventoryItemId, q.locationId) === undefined
      ) {
        userErrors.push({
          code: 'INVALID_LOCATION',
          field: [...field, 'locationId'],
          message: 'The specified location could not be found.',
        });
      } else if (!('changeFromQuantity' in q)) {
        // As of 2026-04 every quantity must carry changeFromQuantity (null opts out of the check).
        userErrors.push({
          code: 'COMPARE_QUANTITY_REQUIRED',
          field: [...field, 'changeFromQuantity'],
          message: 'changeFromQuantity must be given to each quantity.',
        });
      } else if (
        q.changeFromQuantity !== null &&
        q.changeFromQuantity !== this.level(q.inventoryItemId, q.locationId)
      ) {
        userErrors.push({
          code: 'CHANGE_FROM_QUANTITY_STALE',
          field: [...field, 'changeFromQuantity'],
          message: 'The changeFromQuantity value does not match persisted value.',
        });
      }
    });
    this.sets.push({ quantities: input.quantities, userErrors, replayed: false });
    if (userErrors.length > 0) return { inventoryAdjustmentGroup: null, userErrors };
    const changes = input.quantities.map((q) => {
      const key = `${q.inventoryItemId}|${q.locationId}`;
      const before = this.levels.get(key) ?? 0;
      this.levels.set(key, q.quantity);
      return { name: input.name, delta: q.quantity - before, quantityAfterChange: q.quantity };
    });
    return {
      inventoryAdjustmentGroup: {
        id: this.nextId('InventoryAdjustmentGroup'),
        createdAt: new Date().toISOString(),
        reason: input.reason,
        changes: () => changes,
      },
      userErrors,
    };
  }

  private order(id: string) {
    const order = this.orders.get(id);
    if (order === undefined) return null;
    return {
      id,
      name: order.name,
      fulfillmentOrders: () => ({
        nodes: order.fulfillmentOrders.map((fo) => ({
          id: fo.id,
          status: fo.status,
          assignedLocation: {
            name: this.locations.get(fo.location) ?? fo.location,
            location: { id: fo.location, name: this.locations.get(fo.location) },
          },
          lineItems: () => ({
            nodes: fo.lines.map((l) => ({
              id: l.id,
              remainingQuantity: l.remaining,
              totalQuantity: l.total,
              sku: l.sku,
              lineItem: { id: l.lineItemId, sku: l.sku, quantity: l.total },
            })),
          }),
        })),
      }),
    };
  }

  private fulfillmentOrder(id: string): FulfillmentOrderState | undefined {
    for (const order of this.orders.values()) {
      const found = order.fulfillmentOrders.find((fo) => fo.id === id);
      if (found) return found;
    }
    return undefined;
  }

  private fulfillmentCreate(input: FulfillmentInput) {
    const userErrors: UserError[] = [];
    if (input.lineItemsByFulfillmentOrder.length === 0) {
      userErrors.push({
        field: ['fulfillment', 'lineItemsByFulfillmentOrder'],
        message: 'Line items by fulfillment order must have at least one fulfillment order.',
      });
    }
    input.lineItemsByFulfillmentOrder.forEach((group, i) => {
      const fo = this.fulfillmentOrder(group.fulfillmentOrderId);
      const field = ['fulfillment', 'lineItemsByFulfillmentOrder', String(i)];
      if (fo === undefined) {
        userErrors.push({
          field: [...field, 'fulfillmentOrderId'],
          message: 'Fulfillment order does not exist.',
        });
      } else if (fo.status !== 'OPEN' && fo.status !== 'IN_PROGRESS') {
        userErrors.push({
          field: [...field, 'fulfillmentOrderId'],
          message: `Fulfillment order ${fo.id} is ${fo.status} and cannot be fulfilled.`,
        });
      } else {
        for (const line of group.fulfillmentOrderLineItems ?? []) {
          const own = fo.lines.find((l) => l.id === line.id);
          if (own === undefined || line.quantity < 1 || line.quantity > own.remaining) {
            userErrors.push({
              field: [...field, 'fulfillmentOrderLineItems'],
              message: `Invalid fulfillment order line item quantity for ${line.id}.`,
            });
          }
        }
      }
    });
    if (userErrors.length > 0) return { fulfillment: null, userErrors };
    let made: FulfillmentState | undefined;
    for (const group of input.lineItemsByFulfillmentOrder) {
      const fo = this.fulfillmentOrder(group.fulfillmentOrderId) as FulfillmentOrderState;
      // No line items given: every remaining item of the fulfillment order.
      const lines =
        group.fulfillmentOrderLineItems ??
        fo.lines.filter((l) => l.remaining > 0).map((l) => ({ id: l.id, quantity: l.remaining }));
      for (const line of lines) {
        const own = fo.lines.find((l) => l.id === line.id);
        if (own) own.remaining -= line.quantity;
      }
      fo.status = fo.lines.every((l) => l.remaining === 0) ? 'CLOSED' : 'IN_PROGRESS';
      made = {
        id: this.nextId('Fulfillment'),
        fulfillmentOrderId: fo.id,
        lines,
        ...(input.trackingInfo ? { tracking: input.trackingInfo } : {}),
        ...(input.notifyCustomer !== undefined ? { notifyCustomer: input.notifyCustomer } : {}),
      };
      this.fulfillments.push(made);
    }
    const tracking = made?.tracking;
    return {
      fulfillment: {
        id: made?.id,
        status: 'SUCCESS',
        trackingInfo: () =>
          tracking
            ? [
                {
                  company: tracking.company ?? null,
                  number: tracking.number ?? null,
                  url: tracking.url ?? null,
                },
              ]
            : [],
      },
      userErrors,
    };
  }
}

interface FulfillmentInput {
  lineItemsByFulfillmentOrder: {
    fulfillmentOrderId: string;
    fulfillmentOrderLineItems?: { id: string; quantity: number }[];
  }[];
  notifyCustomer?: boolean;
  trackingInfo?: { company?: string; number?: string; url?: string };
}
