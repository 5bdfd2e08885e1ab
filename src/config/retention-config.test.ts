import { describe, expect, it } from 'vitest';
import { configIssues, lineOf } from '../../test/support/config-issues.js';
import { compileConfig } from './load-config.js';

const BASE = `server: { adminKey: admin-key-0000000001 }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
locations: { DC-EAST: { channels: [web] } }
channels: { web: {} }
`;

const DAY = 86_400_000;
const compile = (text: string) => compileConfig(text, 'manifold.yaml', {});

describe('retention:', () => {
  it('keeps everything by default (idempotency keys: orders.idempotencyHours)', () => {
    expect(compile(BASE).retention).toEqual({ intervalMs: 60_000, batch: 500 });
  });

  it('reads a period per kind in days, hours or minutes, the loop and the archive', () => {
    const config = compile(`${BASE}retention:
  events: 90d
  attempts: 30d
  deliveries: 720h
  ledger: 180d
  idempotencyKeys: 7d
  interval: 5m
  batch: 200
  archive: { dir: ./archive }
`);
    expect(config.retention).toEqual({
      eventsMs: 90 * DAY,
      attemptsMs: 30 * DAY,
      deliveriesMs: 30 * DAY,
      ledgerMs: 180 * DAY,
      idempotencyKeysMs: 7 * DAY,
      intervalMs: 300_000,
      batch: 200,
      archive: { dir: './archive' },
    });
  });

  it('names the line of a bad period, a period too short, an unknown kind and an archive without dir', () => {
    const text = `${BASE}retention:
  events: 90 days
  attempts: 10s
  payloads: 1d
  archive: { path: /tmp }
`;
    const issues = configIssues(text);
    expect(issues.map((i) => [i.line, i.message])).toEqual([
      [lineOf(text, 'events:'), expect.stringContaining("invalid duration '90 days'")],
      [lineOf(text, 'attempts:'), 'attempts must be kept at least 1m, got 10s'],
      [lineOf(text, 'payloads'), expect.stringContaining("unknown key 'payloads' in retention")],
      [lineOf(text, 'archive'), "missing required key 'dir'"],
      [lineOf(text, 'archive'), expect.stringContaining("unknown key 'path' in retention.archive")],
    ]);
  });
});
