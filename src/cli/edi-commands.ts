/** `bin/manifold edi parse FILE` and `bin/manifold edi validate FILE`: the X12 core on a file. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  describeCode,
  type Interchange,
  Locator,
  parseX12,
  type Segment,
  type TextPosition,
  validateX12,
  type X12Document,
  type X12Issue,
} from '../connectors/edi/x12/index.js';

/** Reads a file as X12 text: UTF-8, byte order mark kept so that offsets map back to bytes. */
function readText(file: string): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(readFileSync(file));
}

/** A segment with its place in the file, as printed. */
function segmentJson(segment: Segment, locator: Locator) {
  const { line, column, byte } = locator.locate(segment.offset);
  return {
    id: segment.id,
    elements: segment.elements,
    position: { segment: segment.ordinal, line, column, byte },
  };
}

function interchangeJson(interchange: Interchange, locator: Locator) {
  const segment = (s: Segment | undefined) => (s === undefined ? null : segmentJson(s, locator));
  return {
    delimiters: interchange.delimiters,
    header: segment(interchange.header),
    acknowledgements: interchange.acknowledgements.map((s) => segmentJson(s, locator)),
    groups: interchange.groups.map((group) => ({
      header: segment(group.header),
      sets: group.sets.map((set) => ({
        header: segment(set.header),
        segments: set.segments.map((s) => segmentJson(s, locator)),
        trailer: segment(set.trailer),
      })),
      trailer: segment(group.trailer),
    })),
    trailer: segment(interchange.trailer),
  };
}

function issueJson(issue: X12Issue, position: TextPosition) {
  return { ...issue, position: { segment: issue.ordinal, ...position } };
}

/** `FILE:LINE:COLUMN segment N ID (byte B): message [CODE (meaning)]`. */
function issueLine(file: string, issue: X12Issue, position: TextPosition): string {
  const segment = issue.segmentId === '' ? 'end of text' : `segment ${issue.ordinal} ${issue.segmentId}`;
  return `${file}:${position.line}:${position.column} ${segment} (byte ${position.byte}): ${issue.message} [${describeCode(issue)}]`;
}

function summary(document: X12Document): string {
  const groups = document.interchanges.reduce((n, i) => n + i.groups.length, 0);
  const sets = document.interchanges.reduce((n, i) => n + i.groups.reduce((m, g) => m + g.sets.length, 0), 0);
  return `${document.interchanges.length} interchange(s), ${groups} group(s), ${sets} transaction set(s), ${document.segmentCount} segment(s)`;
}

/** Adds the `edi` commands to the program. */
export function registerEdiCommands(program: Command): void {
  const edi = program.command('edi').description('X12 EDI documents');

  edi
    .command('parse')
    .description('print the parsed structure of an X12 file as JSON (interchanges, groups, sets, segments)')
    .argument('<file>', 'X12 file')
    .option('--compact', 'print the JSON on one line')
    .action((file: string, options: { compact?: boolean }) => {
      const text = readText(file);
      const document = parseX12(text);
      const locator = new Locator(text);
      const interchanges = document.interchanges.map((interchange) => interchangeJson(interchange, locator));
      const issues = validateX12(document).map((issue) => issueJson(issue, locator.locate(issue.offset)));
      process.stdout.write(
        `${JSON.stringify({ interchanges, issues }, null, options.compact ? undefined : 2)}\n`,
      );
      if (document.interchanges.length === 0) process.exitCode = 1;
    });

  edi
    .command('validate')
    .description(
      'check the envelopes of an X12 file; exits 0 when sound, else 1 listing each error with its segment and X12 code',
    )
    .argument('<file>', 'X12 file')
    .option('--json', 'print {ok, issues} as JSON')
    .action((file: string, options: { json?: boolean }) => {
      const text = readText(file);
      const document = parseX12(text);
      const issues = validateX12(document);
      const locator = new Locator(text);
      const ok = issues.length === 0 && document.interchanges.length > 0;
      if (options.json) {
        const located = issues.map((issue) => issueJson(issue, locator.locate(issue.offset)));
        process.stdout.write(`${JSON.stringify({ ok, issues: located }, null, 2)}\n`);
      } else if (ok) {
        process.stdout.write(`${file}: ok (${summary(document)})\n`);
      } else {
        for (const issue of issues) {
          process.stdout.write(`${issueLine(file, issue, locator.locate(issue.offset))}\n`);
        }
        const found =
          document.interchanges.length === 0 ? 'no interchange found' : `${issues.length} error(s)`;
        process.stdout.write(`${file}: ${found} (${summary(document)})\n`);
      }
      if (!ok) process.exitCode = 1;
    });
}
