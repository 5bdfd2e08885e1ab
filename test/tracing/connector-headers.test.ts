/** The HTTP connector sends the trace headers it is given, and a subscription's `headers` cannot replace them. */
import { afterEach, describe, expect, it } from 'vitest';
import { HttpConnector } from '../../src/connectors/http/outbound.js';
import type { CloudEvent } from '../../src/domain/cloud-event.js';
import { type Sink, startSink } from '../support/sink.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

let sink: Sink | undefined;
let connector: HttpConnector | undefined;
afterEach(async () => {
  await connector?.close();
  await sink?.close();
  sink = undefined;
  connector = undefined;
});

const event: CloudEvent = {
  specversion: '1.0',
  id: 'evt-1',
  source: '/wms-east',
  type: 'com.manifold.inventory.adjusted.v1',
  traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  data: {},
};

describe('trace headers on a delivery request', () => {
  it('sends traceparent and tracestate; configured headers of those names are ignored', async () => {
    sink = await startSink();
    connector = new HttpConnector();
    const config = {
      url: `${sink.url}/hook`,
      headers: { traceparent: 'forged', TraceState: 'forged=1', 'x-extra': 'kept' },
      timeoutMs: 2000,
      batch: false,
    };
    const response = await connector.send(config, [event], new Date(), {
      traceparent: TRACEPARENT,
      tracestate: 'vendor=abc',
    });
    expect(response.outcome).toBe('delivered');
    const [request] = await sink.waitFor(1);
    expect(request?.headers.traceparent).toBe(TRACEPARENT);
    expect(request?.headers.tracestate).toBe('vendor=abc');
    expect(request?.headers['x-extra']).toBe('kept');
    // The body is the event as stored, its own traceparent included.
    expect(JSON.parse(request?.body ?? '{}').traceparent).toBe(event.traceparent);

    await connector.send({ ...config, headers: {} }, [event]);
    const [, bare] = await sink.waitFor(2);
    expect(bare?.headers.traceparent).toBeUndefined();
  });
});
