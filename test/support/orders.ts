/** What order tests share: a ship-to address, fresh ids and an order request body. */
import { randomUUID } from 'node:crypto';

/** A valid ship-to address of the `order.accepted` contract. */
export const shipTo = {
  name: 'Ada Shop',
  line1: '1 Main St',
  city: 'Springfield',
  postalCode: '12345',
  country: 'US',
};

/** A SKU no other test uses. */
export const freshSku = (): string => `SKU-${randomUUID().slice(0, 8)}`;

/** An order id no other test uses. */
export const freshOrderId = (): string => `SO-${randomUUID().slice(0, 8)}`;

/** A `POST /v1/orders` body of one line: `quantity` of `sku` on the web channel. */
export function orderBody(orderId: string, sku: string, quantity: number) {
  return {
    orderId,
    channel: 'web',
    customer: { id: 'C-1', name: 'Ada' },
    lines: [{ lineId: '1', sku, quantity, unitPrice: 9.5 }],
    shipTo,
  };
}
