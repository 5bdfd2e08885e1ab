/** `startHub` logs each configuration warning at start: a `warn` line with file, line, column and path. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { compileConfig } from '../../src/config/load-config.js';
import { startHub } from '../../src/main/serve.js';

const dir = mkdtempSync(join(tmpdir(), 'manifold-serve-warnings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('logs the configuration warnings when the hub starts', { timeout: 30_000 }, async () => {
  const text = `store: { sqlite: ${join(dir, 'hub.db')} }
server: { adminKey: admin-key-0000000001, host: 127.0.0.1, port: 0 }
systems:
  wms-east: { kind: wms, key: wms-east-key-0000001, locations: [DC-EAST] }
locations: { DC-EAST: { channels: [web] } }
channels: { web: { safetyStock: 2 } }
ownership:
  order.shipped: [wms-east, wms-east]
`;
  const config = compileConfig(text, 'hub.yaml', {});
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const running = await startHub(config, pino({ level: 'info' }, stream));
  try {
    expect(lines.find((line) => String(line.msg).startsWith('configuration:'))).toMatchObject({
      level: 40,
      file: 'hub.yaml',
      line: 8,
      column: 29,
      path: "ownership['order.shipped'][1]",
      msg: expect.stringContaining("'wms-east' is listed twice for order.shipped"),
    });
  } finally {
    await running.stop();
  }
});
