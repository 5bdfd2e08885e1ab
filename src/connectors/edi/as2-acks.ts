/**
 * The hub's acknowledgements of what a partner sent over AS2 (its 997/999s and TA1s), sent back over AS2
 * (docs/recipes/as2-partner.md). Taking an X12 message queues its reply in the partner's AS2 state
 * (`as2:<partner>`): the entry `ack-out:<id>` and the list `acks-out`, written before the message's
 * receipt (MDN) is answered, so a crash after the receipt loses no acknowledgement. A scheduled source per
 * partner with an `as2.url`, `as2-acks:<partner>`, sends what is queued as outbound AS2 messages — signed,
 * encrypted, with the receipt checked as for every outbound message (`transport/as2.ts`):
 *
 * - a positive receipt (sync), or a message accepted while its receipt comes later (async): sent, dropped
 *   from the queue (an async receipt that refuses it opens `as2_receipt_refused`);
 * - the partner unreachable or answering 5xx/429: kept, the source fails (shown in `/readyz` and the
 *   console) and backs off;
 * - a refusal (4xx, a negative or unverifiable receipt, no valid certificate): an `as2_ack_unsent`
 *   exception holding the acknowledgement, dropped from the queue.
 *
 * The Message-ID comes from the acknowledgement's content, so sending it again (a crash between sending
 * and dropping it) is a resend the partner drops. The list is changed by one writer at a time within a
 * process (the inbound side appends, the source removes).
 */
import { createHash } from 'node:crypto';
import type {
  ConnectorContext,
  ConnectorState,
  OutboundDocument,
  SourceConnector,
  SourceHub,
} from '../connector-port.js';
import { as2Transport } from '../transport/as2.js';
import type { As2Partner } from '../transport/as2-config.js';
import { parseX12, valueAt } from './x12/index.js';

export const AS2_ACK_UNSENT = 'as2_ack_unsent';
const LIST = 'acks-out';
const entryKey = (id: string) => `ack-out:${id}`;

/** An acknowledgement waiting to be sent. */
interface QueuedAck {
  id: string;
  body: string;
  fileName: string;
  queuedAt: string;
}

/** One writer of a partner's list at a time (per process). */
const locks = new Map<string, Promise<unknown>>();
function serialized<T>(partner: string, work: () => Promise<T>): Promise<T> {
  const previous = locks.get(partner) ?? Promise.resolve();
  const next = previous.then(work, work);
  locks.set(
    partner,
    next.catch(() => undefined),
  );
  return next;
}

/** What a receipt for an acknowledgement keeps: marked as such, so it is not matched as a partner's 997. */
export function describeAck(document: OutboundDocument): Record<string, unknown> {
  const interchange = parseX12(document.body).interchanges[0];
  return {
    acknowledgement: true,
    ...(interchange ? { isa13: Number(valueAt(interchange.header, 13)) } : {}),
  };
}

/** Queues `body` (the hub's X12 reply to what `partner` sent) to be sent back over AS2. */
export async function queueAck(state: ConnectorState, partner: string, body: string): Promise<string> {
  const id = createHash('sha256').update(body).digest('hex').slice(0, 24);
  const isa13 = parseX12(body).interchanges[0];
  const control = isa13 ? valueAt(isa13.header, 13).trim() : id;
  const entry: QueuedAck = {
    id,
    body,
    fileName: `${partner}-ack-${control}.x12`,
    queuedAt: new Date().toISOString(),
  };
  await serialized(partner, async () => {
    await state.put(entryKey(id), entry);
    const list = (await state.get<string[]>(LIST)) ?? [];
    if (!list.includes(id)) await state.put(LIST, [...list, id]);
  });
  return id;
}

/** The acknowledgements queued for `partner`, in order. */
export async function queuedAcks(state: ConnectorState): Promise<string[]> {
  return (await state.get<string[]>(LIST)) ?? [];
}

/** The source sending `partner`'s queued acknowledgements. */
export function as2AckSource(
  context: ConnectorContext,
  partner: As2Partner,
  state: ConnectorState,
): SourceConnector {
  const transport = as2Transport({ partner, state, now: context.now, describe: describeAck });
  const name = partner.name;
  const drop = (ids: readonly string[]) =>
    serialized(name, async () => {
      const list = (await state.get<string[]>(LIST)) ?? [];
      await state.put(
        LIST,
        list.filter((id) => !ids.includes(id)),
      );
    });
  return {
    name: `as2-acks:${name}`,
    system: name,
    everyMs: 2000,
    singleton: true,
    labels: { system: name, poll: 'AS2 acknowledgements' },
    async pull(hub: SourceHub) {
      const done: string[] = [];
      let sent = 0;
      try {
        for (const id of await queuedAcks(state)) {
          const entry = await state.get<QueuedAck>(entryKey(id));
          if (!entry) {
            done.push(id);
            continue;
          }
          const result = await transport.carry(
            {
              contentType: 'application/edi-x12',
              body: entry.body,
              idempotencyKey: `as2-ack:${name}:${id}`,
              fileName: entry.fileName,
            },
            {},
          );
          if (result.outcome === 'retryable') {
            throw new Error(`the acknowledgement ${entry.fileName} could not be sent: ${result.error ?? ''}`);
          }
          if (result.outcome !== 'delivered') {
            await hub.raise({
              code: AS2_ACK_UNSENT,
              detail: `the acknowledgement ${entry.fileName} was not taken by ${name}: ${result.error ?? result.outcome}`,
              system: name,
              subject: `as2-ack:${name}:${id}`,
              payload: entry.body,
            });
          } else sent += 1;
          await state.delete(entryKey(id));
          done.push(id);
        }
      } finally {
        if (done.length > 0) await drop(done);
      }
      return sent;
    },
  };
}
