/** Helpers of the X12 suites: the public samples and plain views of parsed structures. */
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import {
  type Element,
  formatInterchange,
  parseX12,
  type Segment,
  type SegmentInput,
  type X12Document,
} from '../../src/connectors/edi/x12/index.js';
import type { TestApp } from '../support/test-app.js';
import { KEYS } from '../support/test-config.js';

export const FIXTURES = new URL('../fixtures/edi/', import.meta.url);

/** The public samples (test/fixtures/edi, copied from shared/fixtures/edi as published). */
export const SAMPLE_NAMES = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.edi'))
  .sort();

/** The two samples broken on purpose (see test/fixtures/edi/SOURCES.txt). */
export const BROKEN_SAMPLES = ['bad-control-numbers-edinengine.edi', 'bad-counts-edinengine.edi'];
export const VALID_SAMPLES = SAMPLE_NAMES.filter((name) => !BROKEN_SAMPLES.includes(name));

export function sample(name: string): string {
  return readFileSync(new URL(name, FIXTURES), 'utf8');
}

export function sampleBytes(name: string): Buffer {
  return readFileSync(new URL(name, FIXTURES));
}

/** A segment as plain data (id and elements), for comparisons. */
export function plain(segment: { id: string; elements: readonly Element[] }): {
  id: string;
  elements: Element[];
} {
  return { id: segment.id, elements: [...segment.elements] };
}

/** Every segment of a document in order, envelopes included. */
export function allSegments(document: X12Document): Segment[] {
  const segments: Segment[] = [];
  for (const interchange of document.interchanges) {
    segments.push(interchange.header, ...interchange.acknowledgements);
    for (const group of interchange.groups) {
      segments.push(group.header);
      for (const set of group.sets) {
        segments.push(set.header, ...set.segments);
        if (set.trailer) segments.push(set.trailer);
      }
      if (group.trailer) segments.push(group.trailer);
    }
    if (interchange.trailer) segments.push(interchange.trailer);
  }
  return segments;
}

/** A fixed-width ISA (106 characters with a one-character terminator); fields overridable by position. */
export function isa(
  options: {
    element?: string;
    terminator?: string;
    component?: string;
    fields?: Record<number, string>;
  } = {},
): string {
  const fields: Record<number, string> = {
    1: '00',
    2: '          ',
    3: '00',
    4: '          ',
    5: 'ZZ',
    6: 'SENDER         ',
    7: 'ZZ',
    8: 'RECEIVER       ',
    9: '261127',
    10: '0930',
    11: 'U',
    12: '00401',
    13: '000000001',
    14: '0',
    15: 'P',
    16: options.component ?? '>',
    ...options.fields,
  };
  const values = Array.from({ length: 16 }, (_, i) => fields[i + 1]!);
  return ['ISA', ...values].join(options.element ?? '*') + (options.terminator ?? '~');
}

/** A sound 4010 interchange: ISA, GS, the given sets' bodies (as ST…SE), GE, IEA; `~` and a newline. */
export function interchangeText(
  bodies: string[][] = [['BEG*00*SA*PO-1**20261127']],
  isaControl = '000000001',
): string {
  const sets = bodies.map((body, i) => {
    const control = String(i + 1).padStart(4, '0');
    return [`ST*850*${control}`, ...body, `SE*${body.length + 2}*${control}`];
  });
  return `${[
    isa({ fields: { 13: isaControl }, terminator: '' }),
    'GS*PO*SENDER*RECEIVER*20261127*0930*1*X*004010',
    ...sets.flat(),
    `GE*${bodies.length}*1`,
    `IEA*1*${isaControl}`,
  ].join('~\n')}~\n`;
}

/** The hub's X12 identity in test/support/test-config.ts (`edi: {x12}`). */
export const HUB_X12 = { qualifier: '01', id: '999999999' };

let nextControl = 500;
/**
 * One interchange from a partner to the hub with one group and one set, written by the project's writer;
 * each call takes fresh ISA13/GS06 control numbers.
 */
export function toHub(
  sender: { qualifier: string; id: string },
  functionalId: string,
  setId: string,
  segments: SegmentInput[],
): string {
  nextControl += 1;
  return formatInterchange(
    {
      sender,
      receiver: HUB_X12,
      controlNumber: nextControl,
      groups: [
        {
          functionalId,
          version: '004010',
          controlNumber: nextControl,
          sets: [{ id: setId, controlNumber: 1, segments }],
        },
      ],
    },
    { newline: true },
  );
}

/** What `POST /v1/edi/{partner}` says of each set, in the JSON answer (`Accept: application/json`). */
export interface SetOutcome {
  type: string;
  outcome: string;
  detail?: string;
}

/**
 * Posts an interchange as `partner` asking for the JSON answer, waits for the order and inventory loops,
 * and returns the answer: each set's outcome and the segments of the acknowledgements (TA1, and the
 * 997/999 with its envelopes).
 */
export async function postX12(hub: TestApp, body: string, partner: keyof typeof KEYS) {
  const response = await hub.app.inject({
    method: 'POST',
    url: `/v1/edi/${partner}`,
    headers: {
      authorization: `Bearer ${KEYS[partner]}`,
      'content-type': 'application/edi-x12',
      accept: 'application/json',
    },
    payload: body,
  });
  await hub.orders.settle();
  await hub.inventory.settle();
  expect(response.statusCode).toBe(200);
  const answer = response.json() as { acknowledgements: string; sets: SetOutcome[] };
  const ack = parseX12(answer.acknowledgements).interchanges.flatMap((i) => [
    ...i.acknowledgements,
    ...i.groups.flatMap((g) => [g.header, ...g.sets.flatMap((s) => [s.header, ...s.segments])]),
  ]);
  return { response, sets: answer.sets, ack };
}
