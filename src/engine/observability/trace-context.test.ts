import { describe, expect, it } from 'vitest';
import {
  childTraceparent,
  eventTrace,
  freshTraceparent,
  incomingTrace,
  isValidTraceparent,
  traceIdOf,
} from './trace-context.js';

const VALID = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const FORMAT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/;

describe('trace context strings', () => {
  it('accepts W3C traceparents and refuses the invalid ones the spec names', () => {
    expect(traceIdOf(VALID)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(isValidTraceparent(VALID.toUpperCase())).toBe(false);
    expect(isValidTraceparent(`ff${VALID.slice(2)}`)).toBe(false);
    expect(isValidTraceparent(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).toBe(false);
    expect(isValidTraceparent(`00-4bf92f3577b34da6a3ce929d0e0e4736-${'0'.repeat(16)}-01`)).toBe(false);
    expect(isValidTraceparent(`${VALID}-extra`)).toBe(false);
    expect(isValidTraceparent(`01${VALID.slice(2)}-extra`)).toBe(true);
    expect(isValidTraceparent(undefined)).toBe(false);
  });

  it('reads the request headers: a valid traceparent with its tracestate, else nothing', () => {
    expect(incomingTrace({ traceparent: VALID, tracestate: 'a=1' })).toEqual({
      traceparent: VALID,
      tracestate: 'a=1',
    });
    expect(incomingTrace({ traceparent: [VALID, 'x'], tracestate: ['a=1', 'b=2'] })).toEqual({
      traceparent: VALID,
      tracestate: 'a=1,b=2',
    });
    expect(incomingTrace({ traceparent: 'garbage', tracestate: 'a=1' })).toBeUndefined();
    expect(incomingTrace({})).toBeUndefined();
    expect(eventTrace({ traceparent: VALID, tracestate: 3 })).toEqual({ traceparent: VALID });
  });

  it('makes new traces and children: random ids, the parent trace id and flags kept', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => freshTraceparent(1)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(FORMAT);
    expect(freshTraceparent(1).endsWith('-01')).toBe(true);
    expect(freshTraceparent(0).endsWith('-00')).toBe(true);
    const child = childTraceparent(VALID, 1);
    expect(child).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(child).not.toBe(VALID);
    expect(childTraceparent(`${VALID.slice(0, 53)}00`, 1).endsWith('-00')).toBe(true);
    expect(traceIdOf(childTraceparent('garbage', 1))).toMatch(/^[0-9a-f]{32}$/);
  });
});
