/**
 * The SFTP transport, both ways (docs/recipes/sftp-3pl.md):
 * - outbound (`sftpTransport`), it uploads a document into a folder of the partner's server, under a temp
 *   name starting with `.` then renamed to its name (`upload: rename`, the default), or directly under its
 *   name (`upload: direct`, for servers that forbid rename);
 * - inbound, `SftpConnection` lists, reads, writes, renames and removes files for the `edi` kind's SFTP
 *   source (`edi/sftp-source.ts`).
 *
 * One connection per partner is kept open and reused by every attempt and look (`sftpConnection`, shared by
 * the engine); it is dropped on any error and opened again by the next call. Authentication is by private
 * key only. The server's host key must have the pinned fingerprint (`SHA256:…`, as `ssh-keygen -lf`
 * prints it): another key refuses the connection with `HostKeyMismatchError`, before any credential or
 * document is sent.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { posix } from 'node:path';
import { performance } from 'node:perf_hooks';
import ssh2 from 'ssh2';
import type { X12Sftp } from '../../config/compiled-config.js';
import type { ConnectorContext, SharedResource, Transport } from '../connector-port.js';

/**
 * How a partner's server is reached: the connection part of `systems.<name>.x12.sftp` — the private key
 * itself (from an env var) or `privateKeyFile`, read when connecting; the host key fingerprint
 * `SHA256:<base64 without padding>`; `upload: rename` (a temp name, then a rename) or `direct` (servers that
 * forbid rename); `timeoutMs` for connecting.
 */
export type SftpEndpoint = Pick<
  X12Sftp,
  | 'host'
  | 'port'
  | 'username'
  | 'privateKey'
  | 'privateKeyFile'
  | 'passphrase'
  | 'hostKey'
  | 'upload'
  | 'timeoutMs'
>;

/** The server showed another host key than the pinned one: nothing was sent to it. */
export class HostKeyMismatchError extends Error {
  constructor(
    readonly endpoint: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `host key of ${endpoint} is ${actual}, not the pinned ${expected}: connection refused (check with the partner before changing x12.sftp.hostKey)`,
    );
    this.name = 'HostKeyMismatchError';
  }
}

/** The fingerprint OpenSSH prints for a host key blob: `SHA256:` and the unpadded base64 of its SHA-256. */
export function sshFingerprint(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** A file of a remote folder. */
export interface RemoteFile {
  name: string;
  size: number;
  /** Seconds since the epoch (SFTP v3 has whole seconds). */
  mtime: number;
}

type Session = { client: ssh2.Client; sftp: ssh2.SFTPWrapper };

/** One reused connection to a partner's server. */
export class SftpConnection implements SharedResource {
  private session: Promise<Session> | undefined;
  /** The client of the open session, until it closes. */
  private client: ssh2.Client | undefined;

  constructor(private readonly endpoint: SftpEndpoint) {}

  /** How documents are uploaded (`rename` or `direct`). */
  get upload(): SftpEndpoint['upload'] {
    return this.endpoint.upload;
  }

  get where(): string {
    return `${this.endpoint.username}@${this.endpoint.host}:${this.endpoint.port}`;
  }

  /** The files (not folders, not names starting with `.`) of `dir`, by name. */
  list(dir: string): Promise<RemoteFile[]> {
    return this.run((sftp, done) =>
      sftp.readdir(dir, (error, entries) => {
        if (error) return done(error);
        const files = entries
          .filter((e) => !e.filename.startsWith('.') && e.attrs.isFile())
          .map((e) => ({ name: e.filename, size: e.attrs.size, mtime: e.attrs.mtime }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        done(undefined, files);
      }),
    );
  }

  read(path: string): Promise<Buffer> {
    return this.run((sftp, done) => sftp.readFile(path, (error, data) => done(error, data)));
  }

  /** Writes `body` as `dir/name`: through a temp name and a rename, or directly (the endpoint's `upload`). */
  async put(dir: string, name: string, body: string | Buffer): Promise<void> {
    const target = posix.join(dir, name);
    if (this.endpoint.upload === 'direct') {
      await this.run<void>((sftp, done) => sftp.writeFile(target, body, (error) => done(error)));
      return;
    }
    const temp = posix.join(dir, `.${name}.${process.pid}.tmp`);
    await this.run<void>((sftp, done) => sftp.writeFile(temp, body, (error) => done(error)));
    try {
      await this.rename(temp, target);
    } catch (error) {
      await this.remove(temp).catch(() => undefined);
      throw error;
    }
  }

  rename(from: string, to: string): Promise<void> {
    return this.run<void>((sftp, done) => sftp.rename(from, to, (error) => done(error)));
  }

  remove(path: string): Promise<void> {
    return this.run<void>((sftp, done) => sftp.unlink(path, (error) => done(error)));
  }

  /** Whether `path` exists. */
  exists(path: string): Promise<boolean> {
    return this.run((sftp, done) => sftp.stat(path, (error) => done(undefined, !error)));
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    try {
      (await session).client.end();
    } catch {
      // never connected
    }
  }

  /** Runs one SFTP call on the open session; a failed call on a dead connection drops it. */
  private async run<T>(
    call: (sftp: ssh2.SFTPWrapper, done: (error: Error | undefined | null, value?: T) => void) => void,
  ): Promise<T> {
    const { sftp, client } = await this.open();
    return new Promise<T>((resolve, reject) => {
      const lost = () => reject(new Error(`connection to ${this.where} closed`));
      client.once('close', lost);
      call(sftp, (error, value) => {
        client.off('close', lost);
        if (error) reject(error);
        else resolve(value as T);
      });
    });
  }

  private open(): Promise<Session> {
    if (!this.session) {
      const opening = this.connect();
      this.session = opening;
      opening.catch(() => {
        if (this.session === opening) this.session = undefined;
      });
    }
    return this.session;
  }

  private async connect(): Promise<Session> {
    const { host, port, username, passphrase, hostKey, timeoutMs } = this.endpoint;
    const privateKey =
      this.endpoint.privateKey ??
      (this.endpoint.privateKeyFile ? await readFile(this.endpoint.privateKeyFile, 'utf8') : undefined);
    if (!privateKey) throw new Error(`no private key for ${this.where}`);
    const client = new ssh2.Client();
    // Every call in flight listens for the connection's close (the delivery engine sends concurrently).
    client.setMaxListeners(0);
    let mismatch: string | undefined;
    return new Promise<Session>((resolve, reject) => {
      const fail = (error: Error) => {
        client.end();
        reject(mismatch ? new HostKeyMismatchError(`${host}:${port}`, hostKey, mismatch) : error);
      };
      client.once('error', fail);
      client.once('ready', () => {
        client.sftp((error, sftp) => {
          if (error) return fail(error);
          client.off('error', fail);
          // A connection lost later: the next call opens a new one.
          const drop = () => {
            if (this.client !== client) return;
            this.client = undefined;
            this.session = undefined;
          };
          client.on('error', drop);
          client.on('close', drop);
          this.client = client;
          resolve({ client, sftp });
        });
      });
      client.connect({
        host,
        port,
        username,
        privateKey,
        ...(passphrase ? { passphrase } : {}),
        readyTimeout: timeoutMs,
        keepaliveInterval: 15_000,
        hostVerifier: (key: Buffer) => {
          const actual = sshFingerprint(key);
          if (actual === hostKey) return true;
          mismatch = actual;
          return false;
        },
      });
    });
  }
}

/** The partner's connection, one per engine (`context.shared`), closed when the engine stops. */
export function sftpConnection(context: ConnectorContext, partner: string, endpoint: SftpEndpoint) {
  return context.shared(`sftp:${partner}`, () => new SftpConnection(endpoint));
}

/**
 * A transport uploading documents into `dir` on the partner's server. A refused host key is permanent
 * (nothing is sent to a server that is not the partner's: an operator checks, then replays); any other
 * failure (no connection, a timeout, a full disk, a refused write) is retryable.
 */
export function sftpTransport(connection: SftpConnection, dir: string): Transport {
  return {
    async carry(document) {
      const started = performance.now();
      try {
        await connection.put(dir, document.fileName, document.body);
        return { outcome: 'delivered', latencyMs: performance.now() - started };
      } catch (error) {
        const latencyMs = performance.now() - started;
        if (error instanceof HostKeyMismatchError) {
          return { outcome: 'permanent', latencyMs, error: error.message, notSent: true };
        }
        // A rename onto a name already there: an earlier attempt delivered it (same name, same interchange;
        // the temp name makes the file appear whole). A direct upload may have left half a file: sent again.
        const target = posix.join(dir, document.fileName);
        if (connection.upload === 'rename' && (await connection.exists(target).catch(() => false))) {
          return { outcome: 'delivered', latencyMs, bodyExcerpt: `${target} was already there` };
        }
        return {
          outcome: 'retryable',
          latencyMs,
          error: `cannot upload ${target} to ${connection.where}: ${(error as Error).message}`,
        };
      }
    },
  };
}
