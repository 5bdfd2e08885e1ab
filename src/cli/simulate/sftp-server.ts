/**
 * A real SFTP server, built on ssh2's `Server`, serving a directory tree on disk (a temp dir) as a 3PL's
 * or a VAN's mailbox does: the simulator's 3PL (threepl.ts) and the tests' fake (test/fakes/sftp/). What it checks, as OpenSSH's sshd does (sshd(8), sftp-server(8)):
 * - **public-key authentication only**: `password` and `keyboard-interactive` are refused, and so is a key
 *   that is not the user's authorized key; a key is accepted only with a valid signature over the session
 *   (RFC 4252 §7: the "query" without a signature is answered, the login needs the signature);
 * - **paths stay inside the root**: `..` cannot climb out (a chroot, as `ChrootDirectory`);
 * - `forbidRename: true` answers every RENAME with SSH_FX_PERMISSION_DENIED, as many 3PL servers do;
 *   `forbidRemove: true` likewise for REMOVE;
 * - RENAME over an existing file fails (SSH_FX_FAILURE), as the SFTP v3 draft says (draft-ietf-secsh-filexfer-02 §6.5);
 * - files are written through OPEN/WRITE/CLOSE to the real disk, listed with their size and mtime.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { mkdtemp, open } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, normalize, posix } from 'node:path';
import ssh2 from 'ssh2';

const { Server, utils } = ssh2;
const { OPEN_MODE, STATUS_CODE } = utils.sftp;

export interface FakeSftpOptions {
  username: string;
  /** The user's authorized public key (OpenSSH one-line form; a private key is read for its public half). */
  authorizedKey: string;
  /** The server's host private key (PEM or OpenSSH). */
  hostKey: string;
  forbidRename?: boolean;
  forbidRemove?: boolean;
  /** Serve this directory (default: a new temp dir). */
  root?: string;
  /** Listen on this port (default: any free one). */
  port?: number;
  /** Listen on this address (default 127.0.0.1). */
  host?: string;
}

export interface FakeSftpServer {
  port: number;
  root: string;
  /** Authentication attempts, `method:accepted|refused`. */
  auths: string[];
  /** SFTP requests served, `OP path`. */
  requests: string[];
  /** SSH connections accepted so far. */
  connections: number;
  /** What the server refuses, changeable while it runs (a 3PL changing its policy). */
  rules: { forbidRename: boolean; forbidRemove: boolean };
  close(): Promise<void>;
}

/**
 * A key pair in OpenSSH form (ssh2's generator), for a host or a user. About one ed25519 pair in 256 comes
 * out unreadable (the generator drops a public key's leading zero byte), so a pair is only handed out once
 * ssh2 reads both halves back.
 */
export function generateKey(): { private: string; public: string } {
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519');
    if (!(utils.parseKey(pair.public) instanceof Error) && !(utils.parseKey(pair.private) instanceof Error))
      return pair;
  }
}

/** The `SHA256:…` fingerprint OpenSSH prints for a public key line (`ssh-keygen -lf`). */
export function fingerprintOf(publicKeyLine: string): string {
  const parsed = utils.parseKey(publicKeyLine);
  if (parsed instanceof Error) throw parsed;
  const blob = parsed.getPublicSSH();
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export async function startFakeSftp(options: FakeSftpOptions): Promise<FakeSftpServer> {
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'manifold-sftp-')));
  const allowed = utils.parseKey(options.authorizedKey);
  if (allowed instanceof Error) throw allowed;
  const auths: string[] = [];
  const requests: string[] = [];
  const clients = new Set<ssh2.Connection>();
  const rules = { forbidRename: options.forbidRename ?? false, forbidRemove: options.forbidRemove ?? false };
  let connections = 0;
  const server = new Server({ hostKeys: [options.hostKey] }, (client) => {
    client.on('authentication', (ctx) => {
      if (ctx.method !== 'publickey') {
        auths.push(`${ctx.method}:refused`);
        return ctx.reject(['publickey']);
      }
      const sameKey =
        ctx.username === options.username &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH());
      if (!sameKey) {
        auths.push('publickey:refused');
        return ctx.reject(['publickey']);
      }
      if (!ctx.signature || !ctx.blob) return ctx.accept(); // the query: this key would do
      if (allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) !== true) {
        auths.push('publickey:refused');
        return ctx.reject(['publickey']);
      }
      auths.push('publickey:accepted');
      ctx.accept();
    });
    clients.add(client);
    connections += 1;
    client.on('close', () => clients.delete(client));
    client.on('error', () => undefined);
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('sftp', (acceptSftp) => {
          const sftp = acceptSftp();
          serveSftp(sftp, root, rules, requests);
        });
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    root,
    auths,
    requests,
    get connections() {
      return connections;
    },
    rules,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const client of clients) client.end();
      }),
  };
}

function serveSftp(
  sftp: ssh2.SFTPWrapper,
  root: string,
  options: { forbidRename: boolean; forbidRemove: boolean },
  requests: string[],
) {
  const handles = new Map<number, { file?: FileHandle; dir?: string[]; path: string }>();
  let nextHandle = 1;
  const local = (path: string) => join(root, normalize(posix.join('/', path)));
  const handleOf = (buffer: Buffer) => handles.get(buffer.readUInt32BE(0));
  const newHandle = (entry: { file?: FileHandle; dir?: string[]; path: string }) => {
    const id = nextHandle++;
    handles.set(id, entry);
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32BE(id, 0);
    return buffer;
  };
  const fail = (id: number, error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    sftp.status(
      id,
      code === 'ENOENT'
        ? STATUS_CODE.NO_SUCH_FILE
        : code === 'EACCES'
          ? STATUS_CODE.PERMISSION_DENIED
          : STATUS_CODE.FAILURE,
      (error as Error).message,
    );
  };
  const attrsOf = (path: string) => {
    const info = statSync(path);
    return {
      mode: info.mode,
      uid: 0,
      gid: 0,
      size: info.size,
      atime: Math.floor(info.atimeMs / 1000),
      mtime: Math.floor(info.mtimeMs / 1000),
    };
  };
  sftp.on('REALPATH', (id, path) => {
    requests.push(`REALPATH ${path}`);
    sftp.name(id, [{ filename: posix.join('/', path), longname: '', attrs: {} as ssh2.Attributes }]);
  });
  sftp.on('OPEN', async (id, path, flags) => {
    requests.push(`OPEN ${path}`);
    try {
      let mode = 'r';
      if (flags & OPEN_MODE.WRITE)
        mode = flags & OPEN_MODE.EXCL ? 'wx' : flags & OPEN_MODE.APPEND ? 'a' : 'w';
      const file = await open(local(path), mode);
      sftp.handle(id, newHandle({ file, path }));
    } catch (error) {
      fail(id, error);
    }
  });
  sftp.on('READ', async (id, handle, offset, length) => {
    const entry = handleOf(handle);
    if (!entry?.file) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await entry.file.read(buffer, 0, length, offset);
    if (bytesRead === 0) return sftp.status(id, STATUS_CODE.EOF);
    sftp.data(id, buffer.subarray(0, bytesRead));
  });
  sftp.on('WRITE', async (id, handle, offset, data) => {
    const entry = handleOf(handle);
    if (!entry?.file) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    await entry.file.write(data, 0, data.length, offset);
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('FSTAT', (id, handle) => {
    const entry = handleOf(handle);
    if (!entry) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    try {
      sftp.attrs(id, attrsOf(local(entry.path)));
    } catch (error) {
      fail(id, error);
    }
  });
  sftp.on('FSETSTAT', (id) => sftp.status(id, STATUS_CODE.OK));
  sftp.on('SETSTAT', (id) => sftp.status(id, STATUS_CODE.OK));
  sftp.on('CLOSE', async (id, handle) => {
    const entry = handleOf(handle);
    handles.delete(handle.readUInt32BE(0));
    await entry?.file?.close();
    sftp.status(id, STATUS_CODE.OK);
  });
  sftp.on('OPENDIR', (id, path) => {
    requests.push(`OPENDIR ${path}`);
    try {
      const names = readdirSync(local(path));
      sftp.handle(id, newHandle({ dir: names, path }));
    } catch (error) {
      fail(id, error);
    }
  });
  sftp.on('READDIR', (id, handle) => {
    const entry = handleOf(handle);
    if (!entry?.dir) return sftp.status(id, STATUS_CODE.FAILURE, 'bad handle');
    if (entry.dir.length === 0) return sftp.status(id, STATUS_CODE.EOF);
    const names = entry.dir.splice(0, entry.dir.length);
    sftp.name(
      id,
      names.map((filename) => ({
        filename,
        longname: filename,
        attrs: attrsOf(join(local(entry.path), filename)),
      })),
    );
  });
  const stat = (id: number, path: string) => {
    try {
      sftp.attrs(id, attrsOf(local(path)));
    } catch (error) {
      fail(id, error);
    }
  };
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);
  sftp.on('MKDIR', (id, path) => {
    requests.push(`MKDIR ${path}`);
    try {
      mkdirSync(local(path));
      sftp.status(id, STATUS_CODE.OK);
    } catch (error) {
      fail(id, error);
    }
  });
  sftp.on('REMOVE', (id, path) => {
    requests.push(`REMOVE ${path}`);
    if (options.forbidRemove) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'remove is not allowed');
    try {
      unlinkSync(local(path));
      sftp.status(id, STATUS_CODE.OK);
    } catch (error) {
      fail(id, error);
    }
  });
  sftp.on('RENAME', (id, from, to) => {
    requests.push(`RENAME ${from} ${to}`);
    if (options.forbidRename) return sftp.status(id, STATUS_CODE.PERMISSION_DENIED, 'rename is not allowed');
    try {
      statSync(local(to));
      return sftp.status(id, STATUS_CODE.FAILURE, 'the target exists');
    } catch {
      // free: go on
    }
    try {
      renameSync(local(from), local(to));
      sftp.status(id, STATUS_CODE.OK);
    } catch (error) {
      fail(id, error);
    }
  });
}
