/** What order tests share: a ship-to address and fresh ids. */
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
