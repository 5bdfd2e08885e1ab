/**
 * `bin/manifold replay --wait` (the built CLI) against a fake hub: progress is printed only when it
 * changes, and `--timeout` stops the wait with exit code 3 while the replay goes on.
 */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, it } from 'vitest';

const BIN = new URL('../../bin/manifold', import.meta.url).pathname;

let server: Server | undefined;
afterEach(async () => {
  const running = server;
  server = undefined;
  if (running) await new Promise((resolve) => running.close(resolve));
});

/** A hub whose replay 7 reports `progress(n)` on its n-th poll (1-based). */
async function fakeHub(progress: (poll: number) => { delivered: number; status: string }): Promise<string> {
  let polls = 0;
  const created = createServer((request, response) => {
    const answer = (delivered: number, status: string) => {
      response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id: 7, total: 5, delivered, pending: 5 - delivered, parked: 0, status }));
    };
    if (request.method === 'POST' && request.url === '/v1/replays') return answer(0, 'running');
    if (request.method === 'GET' && request.url === '/v1/replays/7') {
      polls += 1;
      const { delivered, status } = progress(polls);
      return answer(delivered, status);
    }
    response.writeHead(404).end();
  });
  server = created;
  await new Promise<void>((resolve) => created.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(created.address() as AddressInfo).port}`;
}

function replay(hub: string, extra: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const args = [
    'replay',
    '--hub',
    hub,
    '--key',
    'k',
    '--subscription',
    's',
    '--from',
    '2026-01-01T00:00:00Z',
  ];
  return new Promise((resolve) => {
    execFile(BIN, [...args, '--wait', ...extra], (error, stdout, stderr) => {
      resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr });
    });
  });
}

it('stops waiting at --timeout with exit 3, printing unchanged progress once', {
  timeout: 60_000,
}, async () => {
  const hub = await fakeHub((poll) => ({ delivered: poll === 1 ? 1 : 2, status: 'running' }));
  const { code, stdout, stderr } = await replay(hub, ['--timeout', '4s']);
  expect(code).toBe(3);
  const lines = stdout.trim().split('\n');
  expect(lines[0]).toBe('replay 7: 5 event(s) queued for s');
  expect(lines.filter((line) => line.includes('delivered 2/5'))).toHaveLength(1);
  expect(lines.length).toBeLessThanOrEqual(3);
  expect(stderr).toContain('replay 7 not completed after 4 s (delivered 2/5');
});

it('exits 0 once the replay completes', { timeout: 60_000 }, async () => {
  const hub = await fakeHub((poll) =>
    poll < 2 ? { delivered: 3, status: 'running' } : { delivered: 5, status: 'completed' },
  );
  const { code, stdout } = await replay(hub, []);
  expect(code).toBe(0);
  expect(stdout).toContain('delivered 5/5, parked 0');
});

it('refuses a --timeout that is no duration', { timeout: 60_000 }, async () => {
  const { code, stderr } = await replay('http://127.0.0.1:9', ['--timeout', 'soon']);
  expect(code).toBe(2);
  expect(stderr).toContain("invalid --timeout 'soon'");
});
