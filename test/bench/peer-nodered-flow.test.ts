/**
 * The Node-RED flow and settings the peer benchmark (bench/peer-nodered.js) writes: checked as files,
 * without Node-RED (no network in tests). The flow must be what docs/benchmarks.md describes: `http in`
 * (POST) wired at once to `http response` 202 and to one `http request` POST per sink, nothing else.
 */
import { describe, expect, it } from 'vitest';
import {
  EVENT_CONTENT_TYPE,
  NODERED_EVENTS_PATH,
  noderedFlow,
  noderedSettings,
} from '../../bench/peer-nodered-flow.js';

type FlowNode = Record<string, unknown> & { id: string; type: string; wires?: string[][] };

const SINK_A = 'http://127.0.0.1:4101/erp';
const SINK_B = 'http://127.0.0.1:4102/portal';

/** The flow as Node-RED reads it: from the JSON text of `flows.json`. */
function flowFile(): FlowNode[] {
  const text = JSON.stringify(noderedFlow(SINK_A, SINK_B), null, 2);
  return JSON.parse(text) as FlowNode[];
}

describe('the peer benchmark Node-RED flow', () => {
  it('is a JSON array of nodes with unique ids, all on the one tab', () => {
    const flow = flowFile();
    expect(Array.isArray(flow)).toBe(true);
    const ids = flow.map((node) => node.id);
    expect(new Set(ids).size).toBe(ids.length);
    const tabs = flow.filter((node) => node.type === 'tab');
    expect(tabs).toHaveLength(1);
    for (const node of flow.filter((n) => n.type !== 'tab')) expect(node.z).toBe(tabs[0]?.id);
  });

  it('names exactly the node types http in, http response and two http request', () => {
    const types = flowFile()
      .filter((node) => node.type !== 'tab')
      .map((node) => node.type)
      .sort();
    expect(types).toEqual(['http in', 'http request', 'http request', 'http response']);
  });

  it('wires http in (POST) to the 202 response and to a POST to each sink, which lead nowhere', () => {
    const flow = flowFile();
    const byId = new Map(flow.map((node) => [node.id, node]));
    const input = flow.find((node) => node.type === 'http in');
    expect(input).toMatchObject({ method: 'post', url: NODERED_EVENTS_PATH, upload: false });
    expect(input?.wires).toHaveLength(1);
    const targets = (input?.wires?.[0] ?? []).map((id) => byId.get(id));
    expect(targets.map((node) => node?.type).sort()).toEqual([
      'http request',
      'http request',
      'http response',
    ]);

    const response = targets.find((node) => node?.type === 'http response');
    expect(Number.parseInt(String(response?.statusCode), 10)).toBe(202);

    const requests = targets.filter((node) => node?.type === 'http request');
    expect(requests.map((node) => node?.url).sort()).toEqual([SINK_A, SINK_B]);
    for (const request of requests) {
      expect(request).toMatchObject({ method: 'POST', paytoqs: 'ignore', persist: true });
      expect(request?.headers).toContainEqual({
        keyType: 'other',
        keyValue: 'content-type',
        valueType: 'other',
        valueValue: EVENT_CONTENT_TYPE,
      });
      expect((request?.wires ?? []).flat()).toEqual([]);
    }
  });
});

describe('the peer benchmark Node-RED settings', () => {
  it('is a module exporting the port, the flow file, and no editor, telemetry or diagnostics', () => {
    const module: { exports?: Record<string, unknown> } = {};
    new Function('module', noderedSettings(4567, '/tmp/peer/flows.json'))(module);
    expect(module.exports).toMatchObject({
      uiHost: '127.0.0.1',
      uiPort: 4567,
      flowFile: '/tmp/peer/flows.json',
      httpAdminRoot: false,
      telemetry: { enabled: false },
      diagnostics: { enabled: false },
    });
  });
});
