/**
 * Property: valid interchanges from test/fixtures/edi, addressed to the hub as each partner sends them,
 * then mutated (characters, elements and segments swapped, deleted or duplicated), are answered 2xx or
 * 4xx by `POST /v1/edi/{partner}`, never 5xx, and every event the hub logged from them matches its
 * contract.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sample } from '../edi/support.js';
import { buildTestApp, type TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';
import { expectLogValid, expectNoServerError } from './fuzz-support.js';

/** Runs per property; `FUZZ_RUNS=5000` for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const TIMEOUT_MS = 30_000 + RUNS * 40;

let hub: TestApp;
beforeAll(async () => {
  hub = await buildTestApp();
});
afterAll(async () => {
  await hub.close();
});

type Partner = 'acme' | 'freightco' | 'supplier' | 'threepl';

/** The fixtures, each addressed from the test hub's partner that would send it. */
const SOURCES: { partner: Partner; text: string }[] = [
  { partner: 'acme', text: sample('850-vics-nodex12.edi') },
  {
    partner: 'acme',
    text: sample('940-edinengine.edi')
      .replace('ZZ*ABCDEFGHIJKLMNO*ZZ*123456789012345', '12*4405197800     *01*999999999      ')
      .replace(/W01\*(\d+)\*CA\*/g, 'W01*$1*EA*'),
  },
  {
    partner: 'freightco',
    text: sample('214-ellipsis-staedi.edi').replace(
      'ZZ*XXXX           *ZZ*DDDDDD         ',
      'ZZ*FRGT           *01*999999999      ',
    ),
  },
  {
    partner: 'supplier',
    text: sample('846-5010-x12types.edi').replace(
      'ZZ*SENDER         *ZZ*RECEIVER       ',
      'ZZ*SUPPLIER       *01*999999999      ',
    ),
  },
  { partner: 'acme', text: sample('997-reject-staedi.edi') },
  { partner: 'threepl', text: sample('856-crossdock-edinengine.edi') },
];

/** One edit of an interchange's text, at positions taken modulo what is there. */
const edit = fc.record({
  level: fc.constantFrom('character', 'element', 'segment'),
  kind: fc.constantFrom('delete', 'duplicate', 'swap', 'replace'),
  at: fc.nat(),
  other: fc.nat(),
  text: fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom(
      '',
      '*',
      '~',
      '>',
      '^',
      '\n',
      '0',
      '-1',
      '99999999999',
      '1.5',
      'CA',
      '20240230',
      '2599',
      'ISA',
    ),
  ),
});
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

function swapDelete<T>(items: T[], { kind, at, other }: Edit, replacement: T): T[] {
  if (items.length === 0) return items;
  const i = at % items.length;
  const j = other % items.length;
  const out = [...items];
  if (kind === 'delete') out.splice(i, 1);
  else if (kind === 'duplicate') out.splice(i, 0, out[i] as T);
  else if (kind === 'swap') [out[i], out[j]] = [out[j] as T, out[i] as T];
  else out[i] = replacement;
  return out;
}

/** Applies an edit; the delimiters are read from the ISA (element at 3, segment terminator at 105). */
function mutate(text: string, change: Edit): string {
  const element = text.charAt(3) || '*';
  const terminator = text.charAt(105) || '~';
  if (change.level === 'character') return swapDelete([...text], change, change.text).join('');
  const segments = text.split(terminator);
  if (change.level === 'segment') return swapDelete(segments, change, change.text).join(terminator);
  const index = change.at % segments.length;
  const elements = (segments[index] ?? '').split(element);
  segments[index] = swapDelete(elements, { ...change, at: change.other }, change.text).join(element);
  return segments.join(terminator);
}

describe('POST /v1/edi/{partner} under fuzzing', () => {
  it(
    'mutated interchanges from the public samples',
    async () => {
      const interchange = fc.record({
        source: fc.constantFrom(...SOURCES),
        edits: fc.array(edit, { minLength: 1, maxLength: 3 }),
        control: fc.integer({ min: 1, max: 999_999_999 }),
      });
      await fc.assert(
        fc.asyncProperty(interchange, async ({ source, edits, control }) => {
          // A fresh ISA13 most of the time, so that the hub reads the set rather than answering a resend.
          // ISA13 sits at characters 90–98 of the fixed-width ISA, and IEA02 repeats it.
          let text = source.text.split(source.text.slice(90, 99)).join(String(control).padStart(9, '0'));
          for (const change of edits) text = mutate(text, change);
          const response = await hub.app.inject({
            method: 'POST',
            url: `/v1/edi/${source.partner}`,
            headers: {
              authorization: `Bearer ${KEYS[source.partner]}`,
              'content-type': 'application/edi-x12',
            },
            payload: text,
          });
          expectNoServerError(response, text);
        }),
        { numRuns: RUNS },
      );
      await hub.orders.settle();
      // Some mutations leave a set sound (a changed name, a duplicated note): those reach the log.
      expect(await expectLogValid(hub.store)).toBeGreaterThan(0);
    },
    TIMEOUT_MS,
  );
});
