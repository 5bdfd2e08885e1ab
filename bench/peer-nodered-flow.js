// The Node-RED side of the peer benchmark (bench/peer-nodered.js, docs/benchmarks.md): the flow file and
// the settings file the bench writes into a fresh Node-RED user directory. Kept apart from the bench so a
// test can check the flow without installing Node-RED.
//
// The flow: `http in` (POST /events) wired to three nodes at once — `http response` answering 202, and
// one `http request` per sink posting the payload on. Node-RED keeps nothing: a message lives in memory
// while its requests are in flight, and the two requests run unordered.

/** Path of the `http in` node; the bench posts every event there. */
export const NODERED_EVENTS_PATH = '/events';

/** Content type of the events, posted on unchanged (the `http in` node keeps such a body as a string). */
export const EVENT_CONTENT_TYPE = 'application/cloudevents+json';

/** One `http request` node posting `msg.payload` to `url` over kept-alive connections. */
function requestNode(id, name, url) {
  return {
    id,
    type: 'http request',
    z: 'peer-tab',
    name,
    method: 'POST',
    ret: 'txt',
    paytoqs: 'ignore',
    url,
    tls: '',
    // Keep-alive ("Enable connection keep-alive" in the editor): without it every event opens a connection.
    persist: true,
    proxy: '',
    insecureHTTPParser: false,
    authType: '',
    senderr: false,
    headers: [
      { keyType: 'other', keyValue: 'content-type', valueType: 'other', valueValue: EVENT_CONTENT_TYPE },
    ],
    x: 340,
    y: name === 'sink A' ? 120 : 180,
    wires: [[]],
  };
}

/** The flow file (an array of nodes, as Node-RED stores `flows.json`) for the two sink URLs. */
export function noderedFlow(sinkA, sinkB) {
  return [
    { id: 'peer-tab', type: 'tab', label: 'peer benchmark', disabled: false, info: '' },
    {
      id: 'peer-in',
      type: 'http in',
      z: 'peer-tab',
      name: 'events',
      url: NODERED_EVENTS_PATH,
      method: 'post',
      upload: false,
      swaggerDoc: '',
      x: 120,
      y: 120,
      wires: [['peer-accept', 'peer-sink-a', 'peer-sink-b']],
    },
    {
      id: 'peer-accept',
      type: 'http response',
      z: 'peer-tab',
      name: 'accepted',
      statusCode: '202',
      headers: {},
      x: 340,
      y: 60,
      wires: [],
    },
    requestNode('peer-sink-a', 'sink A', sinkA),
    requestNode('peer-sink-b', 'sink B', sinkB),
  ];
}

/**
 * The settings module (`settings.js`) of the bench's Node-RED: HTTP on 127.0.0.1:`port`, no editor or
 * admin API, no telemetry or diagnostics, no credentials, the given flow file.
 */
export function noderedSettings(port, flowFile) {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile,
    flowFilePretty: true,
    credentialSecret: false,
    httpAdminRoot: false,
    diagnostics: { enabled: false, ui: false },
    runtimeState: { enabled: false, ui: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  return `module.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
