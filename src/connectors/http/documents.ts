/**
 * How a connector reads a document a system sent (a webhook's body, a poll page, a shaped call's answer):
 * JSON, or XML read into JSON by fast-xml-parser so SOAP/XML systems map the same way, and never deeper
 * than the hub's cap on every JSON body (docs/operations.md). The depth is checked on the
 * text before parsing and without recursion, so a hostile document is refused before it costs anything.
 */
import { XMLParser } from 'fast-xml-parser';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../domain/json-depth.js';

export type DocumentFormat = 'json' | 'xml';

/** A document that cannot be read: too deep, or not well-formed in its format. */
export class DocumentError extends Error {}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  parseTagValue: false,
  processEntities: false,
  htmlEntities: false,
});

/** The format a document is in: by its content type, else by its first character. */
export function formatOf(contentType: string | undefined, text: string): DocumentFormat {
  if (isXmlType(contentType)) return 'xml';
  if (contentType?.toLowerCase().includes('json')) return 'json';
  return text.trimStart().startsWith('<') ? 'xml' : 'json';
}

/** Whether a content type names XML (`application/xml`, `text/xml`, `application/soap+xml`). */
export function isXmlType(contentType: string | undefined): boolean {
  return (contentType?.toLowerCase() ?? '').includes('xml');
}

/**
 * `text` read as `format`, as the expressions see it. Throws `DocumentError` when it nests deeper than
 * `MAX_JSON_DEPTH` or does not parse.
 */
export function readDocument(text: string, format: DocumentFormat): unknown {
  if (nestsTooDeep(text, format)) {
    throw new DocumentError(`nests more than ${MAX_JSON_DEPTH} levels deep`);
  }
  if (format === 'xml') {
    try {
      return xml.parse(text, true);
    } catch (error) {
      throw new DocumentError(`is not well-formed XML: ${describe(error)}`);
    }
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DocumentError(`is not valid JSON: ${describe(error)}`);
  }
}

/**
 * Whether `text` nests deeper than the cap: arrays and objects for JSON (the API's own check), elements
 * (XML elements count as JSON levels once read) for XML.
 */
export function nestsTooDeep(text: string, format: DocumentFormat): boolean {
  if (format === 'json') return nestsDeeperThan(text, MAX_JSON_DEPTH);
  let depth = 0;
  for (const match of text.matchAll(/<(\/?)[A-Za-z_][^>]*?(\/?)>/g)) {
    if (match[1] === '/') depth--;
    else if (match[2] !== '/' && ++depth > MAX_JSON_DEPTH) return true;
  }
  return false;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
