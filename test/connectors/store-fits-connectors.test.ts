/**
 * Connectors are handed the hub's store untyped (`ConnectorContext.stores`) and name the narrow part they
 * use as an interface of their own, so the compiler cannot see a mismatch at the hand-over. These
 * assignments let it: when the store port moves or renames a method a connector relies on, the typecheck
 * of the test suite fails here instead of a delivery hanging at run time.
 */
import { describe, expect, it } from 'vitest';
import type { EdiInboundStores } from '../../src/connectors/edi/inbound.js';
import type { EdiOutboundStores } from '../../src/connectors/edi/outbound.js';
import type { Store } from '../../src/store/store-port.js';

type Fits<Part> = (store: Store) => Part;

describe('the store fits what each connector asks of it', () => {
  it('edi outbound: kept interchanges, orders and control-number counters', () => {
    const edi: Fits<EdiOutboundStores> = (store) => store;
    expect(typeof edi).toBe('function');
  });

  it('edi inbound: the orders the sets name, acknowledgements matched, control-number counters', () => {
    const edi: Fits<EdiInboundStores> = (store) => store;
    expect(typeof edi).toBe('function');
  });
});
