#!/usr/bin/env node
// X12 parser benchmark (docs/benchmarks.md): parse + validate throughput of Manifold's X12 core beside node-x12's
// parser (strict mode: it checks SE/GE/IEA counts and control numbers as it parses), on the same inputs,
// in the same run, reported as a ratio (target ≥ 3×).
// Inputs, made from every valid public sample in test/fixtures/edi with our writer, keeping each sample's
// delimiters (`|`, `…`, newline terminators, ISA11 repetition separators):
//   interchanges  each sample's interchange repeated, each copy with its own control numbers;
//   sets          each sample's transaction set repeated inside one interchange and group.
// The parsers take turns on each input in one process, sharing its heap as they would in a running hub
// (a forced GC before each parse was tried: it made Manifold's figures 1.5–2× worse and less stable, and
// no hub runs that way); one unmeasured round first (JIT). MB = 10^6 bytes of UTF-8.
// Usage: npm run bench:edi [-- --mb 4 --rounds 5]
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { formatInterchange, parseX12, validateX12 } from '../dist/connectors/edi/x12/index.js';
import { machine } from './support.js';

const require = createRequire(import.meta.url);
const { X12Parser } = require('node-x12');

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '4' }, rounds: { type: 'string', default: '5' } },
});
const TARGET_BYTES = Number(values.mb) * 1e6;
const ROUNDS = Number(values.rounds);
const FIXTURES = new URL('../test/fixtures/edi/', import.meta.url);
const samples = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.edi') && !name.startsWith('bad-'))
  .map((name) => ({ name, text: readFileSync(new URL(name, FIXTURES), 'utf8') }));

const value = (segment, position) => segment.elements[position - 1] ?? '';

/** The writer's input for a parsed interchange, its one group's sets repeated `copies` times. */
function interchangeInput(interchange, controlNumber, copies) {
  const isa = interchange.header;
  const group = interchange.groups[0];
  const gs = group.header;
  const sets = [];
  for (let copy = 0; copy < copies; copy++) {
    for (const set of group.sets) {
      sets.push({ id: value(set.header, 1), controlNumber: sets.length + 1, segments: set.segments });
    }
  }
  return {
    sender: { qualifier: value(isa, 5), id: value(isa, 6).trim() },
    receiver: { qualifier: value(isa, 7), id: value(isa, 8).trim() },
    authorization: { qualifier: value(isa, 1), information: value(isa, 2).trim() },
    security: { qualifier: value(isa, 3), information: value(isa, 4).trim() },
    version: value(isa, 12),
    usage: value(isa, 15),
    date: new Date(Date.UTC(2026, 10, 27, 12, 0)),
    controlNumber,
    groups: [
      {
        functionalId: value(gs, 1),
        applicationSender: value(gs, 2),
        applicationReceiver: value(gs, 3),
        agency: value(gs, 7),
        version: value(gs, 8),
        controlNumber,
        sets,
      },
    ],
  };
}

/** One document per sample and shape, about TARGET_BYTES / samples long. */
function makeInputs(shape) {
  const perSample = TARGET_BYTES / samples.length;
  return samples.map(({ name, text }) => {
    const interchange = parseX12(text).interchanges[0];
    const { delimiters } = interchange;
    const options = {
      delimiters,
      newline: delimiters.segment !== '\n' && /\n/.test(text),
    };
    const one = (controlNumber, copies) =>
      formatInterchange(interchangeInput(interchange, controlNumber, copies), options);
    let document;
    if (shape === 'interchanges') {
      const size = Buffer.byteLength(one(1, 1));
      const copies = Math.max(1, Math.round(perSample / size));
      const parts = [];
      for (let n = 1; n <= copies; n++) parts.push(one(n, 1));
      document = parts.join('');
    } else {
      const size = Buffer.byteLength(one(1, 2)) - Buffer.byteLength(one(1, 1));
      document = one(1, Math.max(1, Math.round(perSample / size)));
    }
    return { name, text: document, bytes: Buffer.byteLength(document) };
  });
}

function segmentsOf(document) {
  let count = 0;
  for (const interchange of document.interchanges)
    for (const group of interchange.groups) for (const set of group.sets) count += set.segments.length;
  return count;
}

function nodeX12SegmentsOf(result) {
  let count = 0;
  for (const interchange of Array.isArray(result) ? result : [result])
    for (const group of interchange.functionalGroups)
      for (const set of group.transactions) count += set.segments.length;
  return count;
}

/** Parses and validates; fails on any issue (every input is sound). */
function manifold(text) {
  const document = parseX12(text);
  const issues = validateX12(document);
  if (issues.length > 0) throw new Error(`manifold: ${issues[0].message}`);
  return document;
}

const parsers = {
  manifold: (text) => segmentsOf(manifold(text)),
  // Our segments cut their elements from the text on first access; this one reads every element, so it
  // pays for all the strings node-x12 makes too.
  'manifold, every element read': (text) => {
    const document = manifold(text);
    let count = 0;
    for (const interchange of document.interchanges)
      for (const group of interchange.groups)
        for (const set of group.sets)
          for (const segment of set.segments) {
            if (segment.elements.length >= 0) count += 1;
          }
    return count;
  },
  'node-x12': (text) => nodeX12SegmentsOf(new X12Parser(true).parse(text)),
};

/** Seconds each parser takes over every input, ROUNDS times after one unmeasured round, interleaved. */
function measure(inputs) {
  const seconds = Object.fromEntries(Object.keys(parsers).map((name) => [name, 0]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const input of inputs) {
      const counts = {};
      for (const [name, parse] of Object.entries(parsers)) {
        const started = process.hrtime.bigint();
        counts[name] = parse(input.text);
        const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
        if (round > 0) seconds[name] += elapsed;
      }
      for (const name of Object.keys(parsers)) {
        if (counts[name] !== counts['node-x12']) {
          throw new Error(
            `${input.name}: ${name} read ${counts[name]} segments, node-x12 ${counts['node-x12']}`,
          );
        }
      }
    }
  }
  return seconds;
}

console.log(`machine: ${machine()}`);
console.log(
  `inputs: ${samples.length} samples (${samples.map((s) => s.name).join(', ')}); ${ROUNDS} measured rounds\n`,
);
for (const shape of ['interchanges', 'sets']) {
  const inputs = makeInputs(shape);
  const bytes = inputs.reduce((sum, input) => sum + input.bytes, 0) * ROUNDS;
  const seconds = measure(inputs);
  const rate = (name) => bytes / 1e6 / seconds[name];
  const base = rate('node-x12');
  console.log(`${shape}: ${inputs.length} documents, ${(bytes / ROUNDS / 1e6).toFixed(2)} MB per round`);
  for (const name of Object.keys(parsers)) {
    const ratio = name === 'node-x12' ? '' : `  ${(rate(name) / base).toFixed(1)}× node-x12`;
    console.log(`  ${name.padEnd(30)} ${rate(name).toFixed(1).padStart(6)} MB/s${ratio}`);
  }
}
