/**
 * The SFTP transport against a real local SFTP server (test/fakes/sftp): key authentication only (a
 * password and an unknown key are refused), host key pinning (a wrong fingerprint refuses before any
 * credential is sent), upload through a temp name and a rename or directly for servers that forbid
 * rename, one connection reused by every call, a lost connection opened again.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HostKeyMismatchError,
  SftpConnection,
  type SftpEndpoint,
  sftpTransport,
} from '../../src/connectors/transport/sftp.js';
import { type FakeSftpServer, fingerprintOf, generateKey, startFakeSftp } from '../fakes/sftp/server.js';

const hostKey = generateKey();
const userKey = generateKey();
let server: FakeSftpServer;
const opened: SftpConnection[] = [];

function connect(overrides: Partial<SftpEndpoint> = {}): SftpConnection {
  const connection = new SftpConnection({
    host: '127.0.0.1',
    port: server.port,
    username: 'manifold',
    privateKey: userKey.private,
    hostKey: fingerprintOf(hostKey.public),
    upload: 'rename',
    timeoutMs: 5000,
    ...overrides,
  });
  opened.push(connection);
  return connection;
}

const document = (fileName: string, body = 'ISA*00*…~') => ({
  contentType: 'application/edi-x12',
  body,
  idempotencyKey: 'k',
  fileName,
});

beforeEach(async () => {
  server = await startFakeSftp({
    username: 'manifold',
    authorizedKey: userKey.public,
    hostKey: hostKey.private,
  });
  mkdirSync(join(server.root, 'in'));
});
afterEach(async () => {
  for (const c of opened.splice(0)) await c.close();
  await server.close();
});

/** Logs in with ssh2's client directly, answering whether the server let it in. */
function tryLogin(options: Partial<ssh2.ConnectConfig>): Promise<boolean> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    client.once('ready', () => {
      client.end();
      resolve(true);
    });
    client.once('error', () => resolve(false));
    client.connect({
      host: '127.0.0.1',
      port: server.port,
      username: 'manifold',
      readyTimeout: 5000,
      ...options,
    });
  });
}

describe('the fake SFTP server', () => {
  it('takes the authorized key only: a password and another key are refused', async () => {
    expect(await tryLogin({ password: 'secret' })).toBe(false);
    expect(await tryLogin({ privateKey: generateKey().private })).toBe(false);
    expect(await tryLogin({ privateKey: userKey.private, username: 'someone-else' })).toBe(false);
    expect(server.auths.filter((a) => a.endsWith(':accepted'))).toEqual([]);
    expect(server.auths).toContain('password:refused');
    expect(await tryLogin({ privateKey: userKey.private })).toBe(true);
    expect(server.auths).toContain('publickey:accepted');
  });
});

describe('SftpConnection and the transport', () => {
  it('uploads through a temp name and a rename, reusing one connection', async () => {
    const connection = connect();
    const transport = sftpTransport(connection, '/in');
    const first = await transport.carry(document('threepl-000000001.x12', 'one'), {});
    const second = await transport.carry(document('threepl-000000002.x12', 'two'), {});
    expect([first.outcome, second.outcome]).toEqual(['delivered', 'delivered']);
    expect(readdirSync(join(server.root, 'in')).sort()).toEqual([
      'threepl-000000001.x12',
      'threepl-000000002.x12',
    ]);
    expect(readFileSync(join(server.root, 'in', 'threepl-000000002.x12'), 'utf8')).toBe('two');
    expect(
      server.requests.some((r) =>
        /^RENAME \/in\/\.threepl-000000001\.x12\..*\.tmp \/in\/threepl-000000001\.x12$/.test(r),
      ),
    ).toBe(true);
    expect(server.connections).toBe(1);
    expect(await connection.list('/in')).toHaveLength(2);
    expect(server.connections).toBe(1);
  });

  it('refuses a server whose host key is not the pinned one, before sending anything', async () => {
    const other = fingerprintOf(generateKey().public);
    const connection = connect({ hostKey: other });
    const result = await sftpTransport(connection, '/in').carry(document('x.x12'), {});
    expect(result.outcome).toBe('permanent');
    expect(result.error).toContain(`is ${fingerprintOf(hostKey.public)}, not the pinned ${other}`);
    expect(server.auths).toEqual([]); // no key was offered to it
    expect(readdirSync(join(server.root, 'in'))).toEqual([]);
    await expect(connection.list('/in')).rejects.toBeInstanceOf(HostKeyMismatchError);
  });

  it('with a server that forbids rename: the rename upload fails (retryable), the direct upload works', async () => {
    server.rules.forbidRename = true;
    const renaming = await sftpTransport(connect(), '/in').carry(document('a.x12'), {});
    expect(renaming.outcome).toBe('retryable');
    expect(renaming.error).toContain('cannot upload /in/a.x12');
    expect(readdirSync(join(server.root, 'in'))).toEqual([]); // the temp file was removed
    const direct = await sftpTransport(connect({ upload: 'direct' }), '/in').carry(
      document('a.x12', 'body'),
      {},
    );
    expect(direct.outcome).toBe('delivered');
    expect(readFileSync(join(server.root, 'in', 'a.x12'), 'utf8')).toBe('body');
  });

  it('answers retryable when the server is down, and connects again once it is back', async () => {
    const connection = connect();
    const transport = sftpTransport(connection, '/in');
    expect((await transport.carry(document('a.x12'), {})).outcome).toBe('delivered');
    const { port, root } = server;
    await server.close();
    const down = await transport.carry(document('b.x12'), {});
    expect(down.outcome).toBe('retryable');
    server = await startFakeSftp({
      username: 'manifold',
      authorizedKey: userKey.public,
      hostKey: hostKey.private,
      root,
      port,
    });
    expect((await transport.carry(document('b.x12'), {})).outcome).toBe('delivered');
    expect(existsSync(join(root, 'in', 'b.x12'))).toBe(true);
  });

  it('treats a rename onto the same name already there as delivered (an earlier attempt got through)', async () => {
    const transport = sftpTransport(connect(), '/in');
    expect((await transport.carry(document('a.x12', 'same'), {})).outcome).toBe('delivered');
    const again = await transport.carry(document('a.x12', 'same'), {});
    expect(again).toMatchObject({ outcome: 'delivered', bodyExcerpt: '/in/a.x12 was already there' });
  });
});
