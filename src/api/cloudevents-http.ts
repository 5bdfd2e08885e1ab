/**
 * The CloudEvents HTTP protocol binding (v1.0.2) for requests: structured mode
 * (`application/cloudevents+json`), binary mode (`ce-*` headers, the body is `data`) and batched mode
 * (`application/cloudevents-batch+json`). A plain `application/json` body without `ce-` headers is taken
 * as structured (an object) or batched (an array), which is what most integration tools send.
 */
import type { FastifyRequest } from 'fastify';
import { ValidationError } from '../errors.js';
import { findRefusedValue, refusedValueError } from './json-body.js';

export interface ReceivedEvents {
  events: unknown[];
  /** Sent as a batch: all or nothing, answered per item. */
  batch: boolean;
}

const BATCH = 'application/cloudevents-batch+json';
const STRUCTURED = 'application/cloudevents+json';

/** Reads the events of a request according to its mode. The body has already been parsed. */
export function readCloudEvents(request: FastifyRequest): ReceivedEvents {
  const contentType = mediaType(request.headers['content-type']);
  if (request.headers['ce-specversion'] !== undefined)
    return { events: [fromBinary(request, contentType)], batch: false };
  const body = request.body;
  if (contentType === BATCH || (contentType === 'application/json' && Array.isArray(body))) {
    if (!Array.isArray(body)) {
      throw new ValidationError('a batch must be a JSON array of CloudEvents', [
        { pointer: '', detail: 'must be array' },
      ]);
    }
    return { events: body, batch: true };
  }
  if (contentType === STRUCTURED || contentType === 'application/json') {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ValidationError('a structured CloudEvent must be a JSON object', [
        { pointer: '', detail: 'must be object' },
      ]);
    }
    return { events: [body], batch: false };
  }
  throw new ValidationError(
    `content type '${contentType || '(none)'}' carries no CloudEvent: use ${STRUCTURED}, ${BATCH}, or binary mode with ce-* headers`,
    [],
    'unsupported-media-type',
  );
}

function fromBinary(request: FastifyRequest, contentType: string): Record<string, unknown> {
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    const raw = Array.isArray(value) ? value.join(',') : value;
    event[name.slice(3)] = percentDecode(raw);
  }
  if (contentType) event.datacontenttype = contentType;
  const body = request.body;
  if (body !== undefined && !(Buffer.isBuffer(body) && body.length === 0)) {
    event.data = Buffer.isBuffer(body) ? body.toString('utf8') : body;
  }
  // Percent-decoding can make a NUL (`%00`) that structured mode would refuse: refuse it alike.
  const refused = findRefusedValue(event);
  if (refused !== undefined) throw refusedValueError(refused);
  return event;
}

/** Header values are percent-encoded for characters outside printable ASCII (binding §3.1.3.2). */
function percentDecode(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function mediaType(header: string | undefined): string {
  if (!header) return '';
  const semicolon = header.indexOf(';');
  return (semicolon === -1 ? header : header.slice(0, semicolon)).trim().toLowerCase();
}
