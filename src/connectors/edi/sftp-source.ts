/**
 * The `edi` kind's SFTP sources (docs/recipes/sftp-3pl.md): a partner's `x12.sftp.outbox`, looked at every
 * `pollSeconds` by one hub process at a time. A file whose size and mtime did not change since the previous
 * look is read and received as X12 from the partner through the kind's inbound role (identity, resends,
 * sets, exceptions as for `POST /v1/edi/{partner}`); its answer (997/999 or TA1) is written to
 * `x12.sftp.acks` as `<name>.ack.x12`; then the file is recorded as taken and cleaned up as configured:
 * `delete`d, `move`d to `moveTo`, or `leave`-n in place.
 *
 * Nothing is applied twice:
 * - the record (`taken`: name → size and mtime, in the source's `Connector_state`) is committed through
 *   the source's commit before the clean-up, so a clean-up that failed or never ran (a crash, a server that
 *   forbids rename or delete) is done on a later look without receiving the file again, and a file left in
 *   place is never taken again while it keeps its size and mtime;
 * - a crash between the interchange's sets and that record receives the file again: the interchange is
 *   then answered from its receipt (same ISA13, same content: a resend, the kept 997), and its events
 *   carry ids derived from ISA13/GS06/ST02, so the hub drops them as duplicates.
 */
import { posix } from 'node:path';
import type { X12Sftp } from '../../config/compiled-config.js';
import type { ConnectorContext, ConnectorState, SourceConnector, SourceHub } from '../connector-port.js';
import {
  HostKeyMismatchError,
  type RemoteFile,
  type SftpConnection,
  sftpConnection,
} from '../transport/sftp.js';

/** The state keys: files seen at the previous look, files taken, the host key alert raised. */
const SEEN = 'sftp-seen';
const TAKEN = 'sftp-taken';
const ALERTED = 'sftp-host-key-alert';

/** One scheduled source per partner with an `x12.sftp.outbox`, named `edi-sftp:<partner>`. */
export function ediSftpSources(context: ConnectorContext): SourceConnector[] {
  return [...context.config.systems.values()].flatMap((system) => {
    const server = system.x12?.sftp;
    if (!server?.outbox) return [];
    const name = `edi-sftp:${system.name}`;
    const state = context.state(name);
    const partner = system.name;
    const source: SourceConnector = {
      name,
      system: partner,
      everyMs: server.pollSeconds * 1000,
      singleton: true,
      labels: { system: partner, poll: 'sftp' },
      pull: (hub) =>
        pullOutbox(sftpConnection(context, partner, server), server, partner, state, hub, context.now),
    };
    return [source];
  });
}

const shapeOf = (file: RemoteFile) => `${file.size}:${file.mtime}`;

/** One look at the partner's outbox; answers how many files were received. */
export async function pullOutbox(
  connection: SftpConnection,
  server: X12Sftp,
  partner: string,
  state: ConnectorState,
  hub: SourceHub,
  now: () => Date,
): Promise<number> {
  const outbox = server.outbox as string;
  let files: RemoteFile[];
  try {
    files = await connection.list(outbox);
  } catch (error) {
    if (error instanceof HostKeyMismatchError) await alertHostKey(error, partner, state, hub);
    throw error;
  }
  const before = (await state.get<Record<string, string>>(SEEN)) ?? {};
  const taken = (await state.get<Record<string, string>>(TAKEN)) ?? {};
  const seen: Record<string, string> = {};
  const stillTaken: Record<string, string> = {};
  const cleanupErrors: string[] = [];
  let received = 0;
  for (const file of files) {
    const shape = shapeOf(file);
    if (taken[file.name] === shape) {
      // Taken before: only its clean-up may be left (a crash, a refused rename or delete).
      stillTaken[file.name] = shape;
      const error = await cleanUp(connection, server, file.name);
      if (error) cleanupErrors.push(error);
      continue;
    }
    if (before[file.name] !== shape) {
      seen[file.name] = shape; // new or still changing: taken at a later look if it stays so
      continue;
    }
    const body = await connection.read(posix.join(outbox, file.name));
    let reply: string | undefined;
    try {
      reply = (await hub.receive({ caller: partner, body, headers: {} })).body;
    } catch (error) {
      // Not X12 at all, or the hub without edi: — kept for an operator, never retried as is.
      await hub.raise({
        code: 'edi_file_failed',
        detail: `${outbox}/${file.name} from ${partner} (SFTP ${connection.where}) could not be received: ${(error as Error).message}`,
        system: partner,
        subject: `sftp:${partner}:${file.name}`,
        payload: body.toString('utf8'),
      });
    }
    if (reply && server.acks) await writeAck(connection, server.acks, `${file.name}.ack.x12`, reply);
    // Recorded before the clean-up: a clean-up that does not happen never receives the file again.
    stillTaken[file.name] = shape;
    await hub.commit([], { [TAKEN]: { ...taken, ...stillTaken }, [SEEN]: seen });
    received += 1;
    const error = await cleanUp(connection, server, file.name);
    if (error) cleanupErrors.push(error);
  }
  // Files gone from the outbox are forgotten; the files still there are remembered (written when changed).
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    JSON.stringify(a) === JSON.stringify(b);
  if (received > 0 || !same(stillTaken, taken) || !same(seen, before)) {
    await hub.commit([], { [TAKEN]: stillTaken, [SEEN]: seen });
  }
  if ((await state.get(ALERTED)) !== undefined) await state.delete(ALERTED);
  if (cleanupErrors.length > 0) {
    throw new Error(
      `${cleanupErrors.length} file(s) received but not cleaned up (they are not received again): ${cleanupErrors.join('; ')} — ${now().toISOString()}`,
    );
  }
  return received;
}

/**
 * Writes an acknowledgement to the acks folder; one already there under its name (written before a crash,
 * for the same file: the same kept answer) is replaced, since SFTP's rename does not overwrite.
 */
async function writeAck(connection: SftpConnection, dir: string, name: string, reply: string): Promise<void> {
  const path = posix.join(dir, name);
  if (await connection.exists(path)) await connection.remove(path);
  await connection.put(dir, name, reply);
}

/** The file's clean-up as configured; answers why it failed, if it did. */
async function cleanUp(
  connection: SftpConnection,
  server: X12Sftp,
  name: string,
): Promise<string | undefined> {
  const path = posix.join(server.outbox as string, name);
  try {
    if (server.afterProcessing === 'delete') await connection.remove(path);
    else if (server.afterProcessing === 'move') {
      const dir = server.moveTo as string;
      let target = posix.join(dir, name);
      for (let n = 1; await connection.exists(target); n++) target = posix.join(dir, `${name}.${n}`);
      await connection.rename(path, target);
    }
    return undefined;
  } catch (error) {
    return `${server.afterProcessing} ${path}: ${(error as Error).message}`;
  }
}

/** A wrong host key opens one exception per fingerprint shown (an operator must look), until it connects again. */
async function alertHostKey(
  error: HostKeyMismatchError,
  partner: string,
  state: ConnectorState,
  hub: SourceHub,
): Promise<void> {
  if ((await state.get<string>(ALERTED)) === error.actual) return;
  await hub.raise({
    code: 'sftp_host_key_mismatch',
    detail: `${partner}: ${error.message}`,
    system: partner,
    subject: `sftp:${partner}:${error.endpoint}`,
    payload: error.actual,
  });
  await state.put(ALERTED, error.actual);
}
