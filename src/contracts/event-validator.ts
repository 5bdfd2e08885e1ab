/**
 * Validates inbound CloudEvents against the envelope and the v1 data schemas, on the ingest hot path.
 * Every schema is compiled once, at load; a valid event costs the compiled checks and nothing more.
 * Problems carry an RFC 6901 pointer naming the bad field and a message an integration engineer reads.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { DATA_SCHEMAS } from './catalogue-schemas.js';
import { COUNTRY_PATTERN, CURRENCY_PATTERN, EXCEPTION_CODE_PATTERN } from './common-schemas.js';
import { type CloudEventEnvelope, CloudEventEnvelopeSchema, TRACEPARENT_PATTERN } from './envelope-schema.js';
import { isRfc3339DateTime } from './rfc3339.js';

/** One reason an event was rejected: where (JSON pointer into the event) and what is wrong. */
export interface ValidationProblem {
  /** RFC 6901 JSON pointer to the offending field, e.g. `/data/lines/0/quantity`; `''` is the whole event. */
  pointer: string;
  /** What is wrong, e.g. `must be integer`, `is required`, `unknown field 'foo'`. */
  detail: string;
}

// ajv-formats is CommonJS; under NodeNext its default import is the module object, whose `default`
// is the plugin (at run time the plugin function carries `default` pointing at itself).
const addFormats = addFormatsModule.default;

// verbose: errors carry their schema, so `not` can say what value is refused. It only touches the
// error path; a valid event allocates nothing more.
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
addFormats(ajv);
// Every event has a `time`: ajv-formats' date-time would be the single most expensive check.
ajv.addFormat('date-time', { type: 'string', validate: isRfc3339DateTime });

const validateEnvelope: ValidateFunction<CloudEventEnvelope> =
  ajv.compile<CloudEventEnvelope>(CloudEventEnvelopeSchema);

const DATA_VALIDATORS: ReadonlyMap<string, ValidateFunction> = new Map(
  [...DATA_SCHEMAS].map(([type, schema]) => [type, ajv.compile(schema)]),
);

const FORMAT_DETAILS: Readonly<Record<string, string>> = {
  'date-time': 'must be an RFC 3339 date-time with an offset, e.g. 2025-03-01T14:30:00Z',
  date: 'must be a date, YYYY-MM-DD',
  uri: 'must be an absolute URI',
  'uri-reference': 'must be a URI reference, e.g. /systems/wms-east',
  email: 'must be an email address',
};

const PATTERN_DETAILS: Readonly<Record<string, string>> = {
  [TRACEPARENT_PATTERN]: 'must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, lower case',
  [CURRENCY_PATTERN]: 'must be an ISO 4217 currency code: 3 upper-case letters, e.g. EUR',
  [COUNTRY_PATTERN]: 'must be an ISO 3166-1 alpha-2 country code: 2 upper-case letters, e.g. DE',
  [EXCEPTION_CODE_PATTERN]: 'must be a snake_case code, e.g. short_pick',
};

const UNKNOWN_ATTRIBUTE_HINT =
  'extension attribute names are 1 to 20 lower-case letters or digits, with a string, number or boolean value';

/** Escapes a property name for use as one JSON pointer segment (RFC 6901 §3). */
function pointerSegment(name: unknown): string {
  return String(name).replaceAll('~', '~0').replaceAll('/', '~1');
}

function listOf(values: readonly unknown[]): string {
  return values.map((value) => (typeof value === 'string' ? value : JSON.stringify(value))).join(', ');
}

function typeDetail(type: unknown): string {
  const types = String(type).split(',');
  const last = types.pop();
  return types.length === 0 ? `must be ${last}` : `must be ${types.join(', ')} or ${last}`;
}

function toProblem(error: ErrorObject, prefix: string): ValidationProblem {
  const pointer = prefix + error.instancePath;
  const params: Record<string, unknown> = error.params;
  switch (error.keyword) {
    case 'required':
      return { pointer: `${pointer}/${pointerSegment(params.missingProperty)}`, detail: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const hint = pointer === '' ? `; ${UNKNOWN_ATTRIBUTE_HINT}` : '';
      return { pointer: `${pointer}/${pointerSegment(name)}`, detail: `unknown field '${name}'${hint}` };
    }
    case 'type':
      return { pointer, detail: typeDetail(params.type) };
    case 'enum':
      return { pointer, detail: `must be one of: ${listOf(params.allowedValues as unknown[])}` };
    case 'const':
      return { pointer, detail: `must be ${JSON.stringify(params.allowedValue)}` };
    case 'minLength':
      return {
        pointer,
        detail: params.limit === 1 ? 'must not be empty' : `must be at least ${params.limit} characters`,
      };
    case 'maxLength':
      return { pointer, detail: `must be at most ${params.limit} characters` };
    case 'minimum':
      return { pointer, detail: `must be at least ${params.limit}` };
    case 'maximum':
      return { pointer, detail: `must be at most ${params.limit}` };
    case 'exclusiveMinimum':
      return { pointer, detail: `must be greater than ${params.limit}` };
    case 'exclusiveMaximum':
      return { pointer, detail: `must be less than ${params.limit}` };
    case 'minItems':
      return { pointer, detail: `must have at least ${params.limit} item${params.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { pointer, detail: `must have at most ${params.limit} items` };
    case 'format':
      return { pointer, detail: FORMAT_DETAILS[String(params.format)] ?? `must be a valid ${params.format}` };
    case 'pattern': {
      const pattern = String(params.pattern);
      return { pointer, detail: PATTERN_DETAILS[pattern] ?? `must match the pattern ${pattern}` };
    }
    case 'not': {
      const refused: unknown = (error.schema as { const?: unknown } | undefined)?.const;
      return {
        pointer,
        detail: refused === undefined ? 'is not allowed' : `must not be ${JSON.stringify(refused)}`,
      };
    }
    default:
      return { pointer, detail: error.message ?? 'is invalid' };
  }
}

/**
 * One problem per error, except for a value that matches no alternative of a union (`anyOf`, such as
 * `cancelAfter`: a day or a date-time): its branches' errors become one problem naming each alternative.
 */
function toProblems(errors: ValidateFunction['errors'], prefix: string): ValidationProblem[] {
  if (!errors) return [];
  const unions = errors.filter((e) => e.keyword === 'anyOf');
  const branchOf = (e: ErrorObject) =>
    unions.find(
      (u) => u !== e && e.instancePath === u.instancePath && e.schemaPath.startsWith(`${u.schemaPath}/`),
    );
  const problems: ValidationProblem[] = [];
  for (const error of errors) {
    if (branchOf(error)) continue;
    if (error.keyword !== 'anyOf') {
      problems.push(toProblem(error, prefix));
      continue;
    }
    const alternatives = errors.filter((e) => branchOf(e) === error).map((e) => toProblem(e, prefix).detail);
    problems.push(
      alternatives.length === 0
        ? toProblem(error, prefix)
        : { pointer: toProblem(error, prefix).pointer, detail: [...new Set(alternatives)].join(', or ') },
    );
  }
  return problems;
}

function unknownType(type: string, pointer: string): ValidationProblem {
  return {
    pointer,
    detail: `'${type}' is not in the v1 catalogue; GET /v1/schemas lists the known types`,
  };
}

/**
 * Problems of `data` against the data schema of `type`; empty when valid. Pointers are relative to the
 * data, prefixed with `pointerPrefix` (`validateEvent` passes `/data`).
 */
export function validateData(type: string, data: unknown, pointerPrefix = ''): ValidationProblem[] {
  const validate = DATA_VALIDATORS.get(type);
  if (validate === undefined) return [unknownType(type, pointerPrefix)];
  if (validate(data)) return type === ORDER_ACCEPTED ? duplicateLineIds(data, pointerPrefix) : [];
  return toProblems(validate.errors, pointerPrefix);
}

const ORDER_ACCEPTED = 'com.manifold.order.accepted.v1';

/**
 * An order's line ids name its lines in every later fact (picked, shipped, invoiced …): two lines with
 * one id could not be told apart, so the second is refused. JSON Schema's `uniqueItems` compares whole
 * items, not one field, so this rule is checked here, after the schema.
 */
function duplicateLineIds(data: unknown, pointerPrefix: string): ValidationProblem[] {
  const lines = (data as { lines: { lineId: string }[] }).lines;
  const seen = new Map<string, number>();
  const problems: ValidationProblem[] = [];
  lines.forEach((line, index) => {
    const first = seen.get(line.lineId);
    if (first === undefined) seen.set(line.lineId, index);
    else {
      problems.push({
        pointer: `${pointerPrefix}/lines/${index}/lineId`,
        detail: `duplicates line ${first}: line ids must be unique within the order`,
      });
    }
  });
  return problems;
}

/**
 * Problems of a structured CloudEvent; empty when valid. The envelope is checked first; only a valid
 * envelope of a catalogue type has its `data` checked, so one mistake is reported once.
 */
export function validateEvent(event: unknown): ValidationProblem[] {
  if (validateEnvelope(event)) {
    const { type, data } = event;
    if (!DATA_VALIDATORS.has(type)) return [unknownType(type, '/type')];
    if (data === undefined) return [{ pointer: '/data', detail: 'is required' }];
    return validateData(type, data, '/data');
  }
  const problems = toProblems(validateEnvelope.errors, '');
  const type = typeof event === 'object' && event !== null ? (event as { type?: unknown }).type : undefined;
  if (
    typeof type === 'string' &&
    !DATA_VALIDATORS.has(type) &&
    !problems.some((problem) => problem.pointer === '/type')
  ) {
    problems.push(unknownType(type, '/type'));
  }
  return problems;
}

/** Whether a type is in the v1 catalogue (has a data schema to validate against). */
export function isCatalogueType(type: string): boolean {
  return DATA_VALIDATORS.has(type);
}
