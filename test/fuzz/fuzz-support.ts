/** What the fuzz suites share: hostile values, and the check that nothing stored breaks its contract. */
import fc from 'fast-check';
import { expect } from 'vitest';
import { validateEvent } from '../../src/contracts/event-validator.js';
import type { Store } from '../../src/store/store-port.js';

/** Values that have broken parsers before: edges of numbers, times, text and nesting. */
export const hostileScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    0,
    -1,
    1e9,
    1e9 + 1,
    1e308,
    9007199254740991,
    -9007199254740992,
    0.1,
    '',
    ' ',
    '\u0000',
    'a\u0000b',
    '\uD800',
    '%00',
    '2016-12-31T23:59:60Z',
    '9999-12-31T23:59:59-05:00',
    '+010000-01-01T00:00:00Z',
    '0000-01-01T00:00:00+05:00',
    '2024-02-30T00:00:00Z',
    'x'.repeat(2000),
    '../../etc/passwd',
    '__proto__',
    'constructor',
    true,
    null,
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.double(),
);

/** Any JSON value, hostile scalars included, a few levels deep. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: hostileScalar },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(hostileScalar, { maxLength: 4 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 8 }), hostileScalar, { maxKeys: 4 }) },
);

/** A 2xx or 4xx answer: the hub refused or took the input, and did not fail on it. */
export function expectNoServerError(response: { statusCode: number; body: string }, input: unknown): void {
  expect(
    response.statusCode,
    `${response.body.slice(0, 500)}\ninput: ${JSON.stringify(input)?.slice(0, 500)}`,
  ).toBeLessThan(500);
  expect(response.statusCode).toBeGreaterThanOrEqual(200);
}

/** Every event in the log still matches its contract (nothing hostile was stored half-valid). */
export async function expectLogValid(store: Store): Promise<number> {
  let count = 0;
  let afterSeq: number | undefined;
  for (;;) {
    const page = await store.listEvents({ limit: 1000, ...(afterSeq === undefined ? {} : { afterSeq }) });
    for (const item of page.items) {
      expect(validateEvent(item.event), JSON.stringify(item.event).slice(0, 500)).toEqual([]);
      count += 1;
    }
    if (page.nextAfterSeq === undefined) return count;
    afterSeq = page.nextAfterSeq;
  }
}
