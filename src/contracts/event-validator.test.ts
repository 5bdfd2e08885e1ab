import { describe, expect, it } from 'vitest';
import { CATALOGUE } from '../domain/event-catalogue.js';
import { isCatalogueType, validateData, validateEvent } from './event-validator.js';
import { SAMPLE_DATA, sampleEvent } from './samples.js';

const ACCEPTED = 'com.manifold.order.accepted.v1';
const ADJUSTED = 'com.manifold.inventory.adjusted.v1';

/** A sample event whose data is changed by `edit` (a deep copy; the shared samples stay intact). */
function withData(type: string, edit: (data: Record<string, unknown>) => void) {
  const event = sampleEvent(type);
  edit(event.data as Record<string, unknown>);
  return event;
}

function pointers(event: unknown): string[] {
  return validateEvent(event).map((problem) => problem.pointer);
}

describe('validateEvent: valid events', () => {
  it.each(CATALOGUE.map((entry) => entry.type))('accepts the sample of %s', (type) => {
    expect(validateEvent(sampleEvent(type))).toEqual([]);
    expect(validateData(type, SAMPLE_DATA[type])).toEqual([]);
    expect(isCatalogueType(type)).toBe(true);
  });

  it('accepts the minimal envelope', () => {
    const event = {
      specversion: '1.0',
      id: 'e1',
      source: '/systems/wms-east',
      type: ADJUSTED,
      data: SAMPLE_DATA[ADJUSTED],
    };
    expect(validateEvent(event)).toEqual([]);
  });

  it('accepts well-named scalar extension attributes', () => {
    expect(validateEvent(sampleEvent(ADJUSTED, { tenant: 'acme', priority: 3, replay: true }))).toEqual([]);
  });

  it('carries extra fields on customer and shipTo', () => {
    const event = withData(ACCEPTED, (data) => {
      (data.customer as Record<string, unknown>).terms = 'NET30';
      (data.shipTo as Record<string, unknown>).company = 'Analytical Engines Ltd';
    });
    expect(validateEvent(event)).toEqual([]);
  });

  it('accepts optional fields left out and a negative delta', () => {
    expect(validateData(ADJUSTED, { sku: 'S', location: 'L', delta: -3, reason: 'correction' })).toEqual([]);
    expect(validateData('com.manifold.order.delivered.v1', { orderId: 'SO-1' })).toEqual([]);
    expect(validateData('com.manifold.order.cancelled.v1', { orderId: 'SO-1', reason: 'fraud' })).toEqual([]);
    const first = {
      orderId: 'SO-1',
      milestone: 'accepted',
      previous: null,
      inferred: [],
      lines: [{ lineId: '1', ordered: 2 }],
    };
    expect(validateData('com.manifold.order.milestone.v1', first)).toEqual([]);
  });
});

describe('validateEvent: data problems', () => {
  it('names a missing field in the pointer', () => {
    const event = withData(ADJUSTED, (data) => {
      delete data.sku;
    });
    expect(validateEvent(event)).toEqual([{ pointer: '/data/sku', detail: 'is required' }]);
  });

  it('points into arrays for a wrong type', () => {
    const event = withData(ACCEPTED, (data) => {
      (data.lines as Array<Record<string, unknown>>)[0]!.quantity = '2';
    });
    expect(validateEvent(event)).toEqual([{ pointer: '/data/lines/0/quantity', detail: 'must be integer' }]);
  });

  it('rejects fractional and non-positive quantities', () => {
    const event = withData(ACCEPTED, (data) => {
      const lines = data.lines as Array<Record<string, unknown>>;
      lines[0]!.quantity = 1.5;
      lines[1]!.quantity = 0;
    });
    expect(validateEvent(event)).toEqual([
      { pointer: '/data/lines/0/quantity', detail: 'must be integer' },
      { pointer: '/data/lines/1/quantity', detail: 'must be at least 1' },
    ]);
  });

  it('names an unknown field', () => {
    const event = withData(ADJUSTED, (data) => {
      data.foo = 1;
    });
    expect(validateEvent(event)).toEqual([{ pointer: '/data/foo', detail: "unknown field 'foo'" }]);
  });

  it('escapes field names in pointers (RFC 6901)', () => {
    const event = withData(ADJUSTED, (data) => {
      data['a/b~c'] = 1;
    });
    expect(pointers(event)).toEqual(['/data/a~1b~0c']);
  });

  it('lists the allowed values of a closed list', () => {
    const event = withData('com.manifold.inventory.moved.v1', (data) => {
      data.from = 'reserved';
    });
    expect(validateEvent(event)).toEqual([
      { pointer: '/data/from', detail: 'must be one of: available, quarantined, damaged, returned' },
    ]);
    const adjusted = withData(ADJUSTED, (data) => {
      data.reason = 'lost';
    });
    expect(validateEvent(adjusted)[0]).toMatchObject({ pointer: '/data/reason' });
    expect(validateEvent(adjusted)[0]?.detail).toMatch(/^must be one of: received, putaway, cycle_count, /);
  });

  it('refuses a zero delta, a negative count and a negative price', () => {
    expect(validateData(ADJUSTED, { sku: 'S', location: 'L', delta: 0, reason: 'correction' })).toEqual([
      { pointer: '/delta', detail: 'must not be 0' },
    ]);
    expect(
      validateData('com.manifold.inventory.counted.v1', { sku: 'S', location: 'L', onHand: -1 }),
    ).toEqual([{ pointer: '/onHand', detail: 'must be at least 0' }]);
    const event = withData(ACCEPTED, (data) => {
      (data.lines as Array<Record<string, unknown>>)[0]!.unitPrice = -0.01;
    });
    expect(pointers(event)).toEqual(['/data/lines/0/unitPrice']);
  });

  it('checks codes, dates and nested objects', () => {
    const invoiced = withData('com.manifold.order.invoiced.v1', (data) => {
      data.currency = 'eur';
      data.invoiceDate = '2025-02-30';
      data.lines = [];
    });
    expect(validateEvent(invoiced)).toEqual([
      { pointer: '/data/invoiceDate', detail: 'must be a date, YYYY-MM-DD' },
      { pointer: '/data/lines', detail: 'must have at least 1 item' },
      {
        pointer: '/data/currency',
        detail: 'must be an ISO 4217 currency code: 3 upper-case letters, e.g. EUR',
      },
    ]);
    const accepted = withData(ACCEPTED, (data) => {
      const shipTo = data.shipTo as Record<string, unknown>;
      delete shipTo.postalCode;
      shipTo.country = 'GBR';
      (data.customer as Record<string, unknown>).id = '';
    });
    expect(pointers(accepted).sort()).toEqual([
      '/data/customer/id',
      '/data/shipTo/country',
      '/data/shipTo/postalCode',
    ]);
  });

  it('requires data', () => {
    const { data: _data, ...event } = sampleEvent(ADJUSTED);
    expect(validateEvent(event)).toEqual([{ pointer: '/data', detail: 'is required' }]);
    expect(validateEvent({ ...event, data: null })).toEqual([{ pointer: '/data', detail: 'must be object' }]);
  });

  it('reports every problem, not only the first', () => {
    expect(validateEvent({ ...sampleEvent(ADJUSTED), data: {} })).toHaveLength(4);
  });
});

describe('validateEvent: envelope problems', () => {
  it('rejects a malformed traceparent', () => {
    const problems = validateEvent(
      sampleEvent(ADJUSTED, { traceparent: '00-4bf92f3577b34da6-00f067aa0ba902b7-01' }),
    );
    expect(problems).toEqual([
      {
        pointer: '/traceparent',
        detail: 'must be a W3C traceparent: 00-<32 hex>-<16 hex>-<2 hex>, lower case',
      },
    ]);
    expect(
      pointers(
        sampleEvent(ADJUSTED, { traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01' }),
      ),
    ).toEqual(['/traceparent']);
  });

  it('reports an unknown type once, at /type', () => {
    const problems = validateEvent(sampleEvent(ADJUSTED, { type: 'com.manifold.inventory.adjusted.v2' }));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.pointer).toBe('/type');
    expect(problems[0]?.detail).toContain("'com.manifold.inventory.adjusted.v2' is not in the v1 catalogue");
    expect(problems[0]?.detail).toContain('GET /v1/schemas');
    expect(isCatalogueType('com.manifold.inventory.adjusted.v2')).toBe(false);
  });

  it('reports an unknown type alongside other envelope problems', () => {
    expect(pointers({ specversion: '1.0', source: '/s', type: 'x.y' })).toEqual(['/id', '/type']);
  });

  it('does not check data while the envelope is invalid', () => {
    const event = { ...sampleEvent(ADJUSTED, { specversion: '0.3' as '1.0' }), data: {} };
    expect(validateEvent(event)).toEqual([{ pointer: '/specversion', detail: 'must be "1.0"' }]);
  });

  it('names each missing required attribute', () => {
    expect(pointers({ data: {} })).toEqual(['/specversion', '/id', '/source', '/type']);
  });

  it('checks attribute formats and lengths', () => {
    const event = sampleEvent(ADJUSTED, {
      id: '',
      time: '2025-03-01T12:00:00',
      dataschema: 'not a uri',
      correlationid: 'c'.repeat(257),
    });
    expect(validateEvent(event)).toEqual([
      { pointer: '/id', detail: 'must not be empty' },
      { pointer: '/time', detail: 'must be an RFC 3339 date-time with an offset, e.g. 2025-03-01T14:30:00Z' },
      { pointer: '/dataschema', detail: 'must be an absolute URI' },
      { pointer: '/correlationid', detail: 'must be at most 256 characters' },
    ]);
  });

  it('rejects badly named extensions and non-scalar extension values', () => {
    const problems = validateEvent(sampleEvent(ADJUSTED, { Tenant: 'acme', tenant_id: 'a', meta: { a: 1 } }));
    expect(problems.map((problem) => problem.pointer).sort()).toEqual(['/Tenant', '/meta', '/tenant_id']);
    expect(problems.find((problem) => problem.pointer === '/Tenant')?.detail).toMatch(
      /^unknown field 'Tenant'; /,
    );
    expect(problems.find((problem) => problem.pointer === '/meta')?.detail).toBe(
      'must be string, number or boolean',
    );
  });

  it('rejects a non-object event as a whole', () => {
    expect(validateEvent(null)).toEqual([{ pointer: '', detail: 'must be object' }]);
    expect(validateEvent([sampleEvent(ADJUSTED)])).toEqual([{ pointer: '', detail: 'must be object' }]);
    expect(validateEvent('{}')).toEqual([{ pointer: '', detail: 'must be object' }]);
  });
});

describe('validateData', () => {
  it('prefixes pointers when asked', () => {
    expect(validateData(ADJUSTED, { location: 'L', delta: 1, reason: 'correction' }, '/data')).toEqual([
      { pointer: '/data/sku', detail: 'is required' },
    ]);
  });

  it('reports an unknown type at the prefix', () => {
    const problems = validateData('com.example.v1', {}, '/type');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.pointer).toBe('/type');
  });
});
