/**
 * The order a shaped call's answer is read in (docs/connectors.md#evaluation-order): `failIf`, then
 * `okIf`, then `retryIf`, then the status class — shown with two rules that both match the one answer,
 * where only the order decides.
 */
import { describe, expect, it } from 'vitest';
import { compileText } from '../../src/connectors/http/expressions.js';
import { type Answer, readAnswer } from '../../src/connectors/http/shaped-request.js';

const NOW = new Date('2026-12-03T12:00:00Z');

/** An answer every rule below matches: a 409 with both userErrors and a THROTTLED error. */
const ANSWER: Answer = {
  status: 409,
  headers: { 'retry-after': '7' },
  body: { userErrors: [{ message: 'sku unknown' }], errors: [{ extensions: { code: 'THROTTLED' } }] },
};

const failIf = compileText('failIf', '$count(body.userErrors) > 0');
const okIf = compileText('okIf', 'status = 409');
const retryIf = compileText('retryIf', "$exists(body.errors[extensions.code = 'THROTTLED'])");
const retryAfter = compileText('retryAfter', '1500');

describe('the answer rules, two matching one answer', () => {
  it('failIf wins over okIf', async () => {
    expect(await readAnswer({ failIf, okIf }, ANSWER, NOW)).toEqual({
      outcome: 'permanent',
      rule: 'failIf',
      error: 'failIf matched the answer',
    });
  });

  it('failIf wins over retryIf', async () => {
    expect(await readAnswer({ failIf, retryIf, retryAfter }, ANSWER, NOW)).toMatchObject({
      outcome: 'permanent',
      rule: 'failIf',
    });
  });

  it('okIf wins over retryIf', async () => {
    expect(await readAnswer({ okIf, retryIf, retryAfter }, ANSWER, NOW)).toEqual({
      outcome: 'delivered',
      rule: 'okIf',
    });
  });

  it('retryIf wins over the status class (a 409 alone is refused), with retryAfter over Retry-After', async () => {
    expect(await readAnswer({ retryIf, retryAfter }, ANSWER, NOW)).toEqual({
      outcome: 'retryable',
      rule: 'retryIf',
      retryAfterMs: 1500,
      error: 'retryIf matched the answer',
    });
    expect(await readAnswer({ retryIf }, ANSWER, NOW)).toMatchObject({ rule: 'retryIf', retryAfterMs: 7000 });
  });

  it('with every rule matching, failIf decides; with none, the status class does', async () => {
    expect(await readAnswer({ okIf, retryIf, failIf, retryAfter }, ANSWER, NOW)).toMatchObject({
      outcome: 'permanent',
      rule: 'failIf',
    });
    const none = compileText('failIf', 'status = 500');
    expect(await readAnswer({ failIf: none }, ANSWER, NOW)).toEqual({
      outcome: 'permanent',
      rule: 'status',
      retryAfterMs: 7000,
    });
  });
});
