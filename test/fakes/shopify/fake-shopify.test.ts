/**
 * The fake Shopify refuses what Shopify refuses (docs/recipes/shopify.md#what-the-test-fake-checks): a
 * missing token, another API version, a document the 2026-04 schema does not validate, an inventory
 * mutation without `@idempotent`, a key reused with other parameters, a stale `changeFromQuantity`; and it
 * throttles by calculated cost.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { FakeShopify } from './server.js';

const TOKEN = 'shpat_fake_unit';
const ITEM = 'gid://shopify/InventoryItem/1';
const LOCATION = 'gid://shopify/Location/1';
const fake = new FakeShopify({ accessToken: TOKEN, maximumAvailable: 100, restoreRate: 10 });

beforeAll(async () => {
  await fake.start();
  fake.shop.stock(ITEM, 'SKU-1', LOCATION, 5);
});
afterAll(() => fake.stop());

async function post(body: unknown, options: { token?: string; version?: string } = {}) {
  const response = await fetch(`${fake.url}/admin/api/${options.version ?? '2026-04'}/graphql.json`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-shopify-access-token': options.token ?? TOKEN },
    body: JSON.stringify(body),
  });
  // biome-ignore lint/suspicious/noExplicitAny: answers are inspected field by field
  return { status: response.status, body: (await response.json()) as any };
}

const SET = `mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) { userErrors { code field message } }
}`;
const input = (quantity: number, changeFromQuantity: number | null) => ({
  name: 'available',
  reason: 'correction',
  quantities: [{ inventoryItemId: ITEM, locationId: LOCATION, quantity, changeFromQuantity }],
});

it('refuses a wrong token (401) and another API version (404)', async () => {
  expect((await post({ query: '{ location(id: "x") { id } }' }, { token: 'nope' })).status).toBe(401);
  expect((await post({ query: '{ location(id: "x") { id } }' }, { version: '2025-01' })).status).toBe(404);
});

it('answers errors for a document the schema does not validate, and runs nothing', async () => {
  const answer = await post({ query: '{ inventoryItem(id: 1) { sku nope } }' });
  expect(answer.status).toBe(200);
  expect(answer.body.errors.map((e: { message: string }) => e.message).join(' ')).toMatch(/nope/);
  expect(answer.body.data).toBeUndefined();
  const wrongType = await post({
    query:
      'mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }',
    variables: {
      input: {
        name: 'available',
        reason: 'correction',
        quantities: [{ inventoryItemId: ITEM, quantity: 'ten' }],
      },
    },
  });
  expect(wrongType.body.errors.length).toBeGreaterThan(0);
  expect(fake.shop.level(ITEM, LOCATION)).toBe(5);
});

it('refuses inventorySetQuantities without @idempotent', async () => {
  const answer = await post({
    query:
      'mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }',
    variables: { input: input(7, 5) },
  });
  expect(answer.body.errors[0].message).toMatch(/@idempotent/);
  expect(fake.shop.level(ITEM, LOCATION)).toBe(5);
});

it('compares changeFromQuantity, and keeps what a key answered', async () => {
  const stale = await post({ query: SET, variables: { key: 'k-1', input: input(7, 4) } });
  expect(stale.body.data.inventorySetQuantities.userErrors[0].code).toBe('CHANGE_FROM_QUANTITY_STALE');
  const again = await post({ query: SET, variables: { key: 'k-1', input: input(7, 4) } });
  expect(again.body.data.inventorySetQuantities.userErrors[0].code).toBe(
    'IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED',
  );
  const ok = await post({ query: SET, variables: { key: 'k-2', input: input(7, 5) } });
  expect(ok.body.data.inventorySetQuantities.userErrors).toEqual([]);
  expect(fake.shop.level(ITEM, LOCATION)).toBe(7);
  const other = await post({ query: SET, variables: { key: 'k-2', input: input(9, 7) } });
  expect(other.body.data.inventorySetQuantities.userErrors[0].code).toBe(
    'IDEMPOTENCY_KEY_PARAMETER_MISMATCH',
  );
  const missing = await post({
    query: SET,
    variables: {
      key: 'k-3',
      input: { ...input(9, 7), quantities: [{ inventoryItemId: ITEM, locationId: LOCATION, quantity: 9 }] },
    },
  });
  expect(missing.body.data.inventorySetQuantities.userErrors[0].code).toBe('COMPARE_QUANTITY_REQUIRED');
  expect(fake.shop.level(ITEM, LOCATION)).toBe(7);
});

it('throttles a call the bucket cannot pay, with the cost data to wait by', async () => {
  fake.drainBeforeNext('inventorySetQuantities');
  const answer = await post({ query: SET, variables: { key: 'k-4', input: input(8, 7) } });
  expect(answer.body.errors[0].extensions.code).toBe('THROTTLED');
  expect(answer.body.extensions.cost).toMatchObject({
    requestedQueryCost: 10,
    actualQueryCost: null,
    throttleStatus: { maximumAvailable: 100, currentlyAvailable: 0, restoreRate: 10 },
  });
  expect(fake.shop.level(ITEM, LOCATION)).toBe(7);
  await new Promise((resolve) => setTimeout(resolve, 1050)); // 10 points at 10 points/s
  const later = await post({ query: SET, variables: { key: 'k-4', input: input(8, 7) } });
  expect(later.body.data.inventorySetQuantities.userErrors).toEqual([]);
  expect(fake.shop.level(ITEM, LOCATION)).toBe(8);
});
