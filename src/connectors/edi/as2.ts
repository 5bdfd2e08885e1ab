/**
 * X12 over AS2 (docs/recipes/as2-partner.md): the `as2` kind reads `systems.<partner>.as2` and receives
 * what partners post to `POST /v1/as2/{partner}` (the AS2 transport's inbound side,
 * `transport/as2-inbound.ts`), handing the X12 of a message to the `edi` kind's inbound role. Outbound, an
 * `edi:` subscription to a partner with `as2:` rides the AS2 transport (`transport/as2.ts`, opened by
 * `connector.ts`); a receipt (MDN) posted later for it settles the interchange as a 997 does: it is
 * recorded on the interchange sent (`edi_outbound`), and a negative one opens an `as2_receipt_refused`
 * exception. The hub's own 997/999 (or TA1) for what the partner sent goes back over AS2 too: queued
 * when the message is taken, sent by the source `as2-acks:<partner>` (`as2-acks.ts`).
 */
import type { CompiledConfig } from '../../config/compiled-config.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import type {
  ConnectorContext,
  ConnectorKind,
  InboundConnector,
  OutboundDocument,
  SourceConnector,
} from '../connector-port.js';
import { type As2Partner, type As2Settings, loadPartner, readAs2 } from '../transport/as2-config.js';
import { As2Inbound } from '../transport/as2-inbound.js';
import { as2AckSource, queueAck } from './as2-acks.js';
import { EdiInbound, type EdiInboundStores } from './inbound.js';
import { parseX12, valueAt } from './x12/index.js';

export const AS2_RECEIPT_REFUSED = 'as2_receipt_refused';

/** The partners with `as2:` in `config`, loaded (certificates and keys parsed), by system name. */
export function as2Partners(config: CompiledConfig): Map<string, As2Partner> {
  const partners = new Map<string, As2Partner>();
  for (const system of config.systems.values()) {
    const settings = system.sections?.as2 as As2Settings | undefined;
    if (settings) partners.set(system.name, loadPartner(system.name, settings));
  }
  return partners;
}

/** The state instance of a partner's AS2 exchanges (the receipts still to come). */
export const as2Instance = (partner: string) => `as2:${partner}`;

/** What a pending receipt keeps of an interchange: its ISA13 and GS06, to record the receipt on it. */
export function describeInterchange(document: OutboundDocument): Record<string, unknown> {
  const interchange = parseX12(document.body).interchanges[0];
  const group = interchange?.groups[0];
  return {
    ...(interchange ? { isa13: Number(valueAt(interchange.header, 13)) } : {}),
    ...(group ? { gsControl: Number(valueAt(group.header, 6)) } : {}),
  };
}

function openAs2Inbound(context: ConnectorContext): InboundConnector {
  const partners = as2Partners(context.config);
  const stores = context.stores as EdiInboundStores;
  const x12 = new EdiInbound(context.config, stores, context.now, context.metrics);
  const as2 = new As2Inbound({
    state: (partner) => context.state(as2Instance(partner)),
    now: context.now,
    async take(partner, contentType, content, hub) {
      if (contentType !== 'application/edi-x12')
        throw new ValidationError(
          `the hub takes application/edi-x12 over AS2, not ${contentType || 'no type'}`,
          [{ pointer: '/content-type', detail: contentType }],
        );
      const reply = await x12.receive(
        partner.name,
        { caller: partner.name, body: content, headers: {} },
        hub,
      );
      const units = reply.units ?? [];
      const count = (outcome: string) => units.filter((u) => u.outcome === outcome).length;
      // The hub's 997/999s and TA1s for it go back over AS2, queued before the receipt is answered.
      let acks = '';
      if (reply.body.trim() !== '' && partner.settings.url) {
        await queueAck(context.state(as2Instance(partner.name)), partner.name, reply.body);
        acks = ' Its acknowledgement follows as an AS2 message of its own.';
      }
      return {
        reply,
        note: `X12 received: ${count('applied')} set(s) applied, ${count('rejected')} rejected, ${count('duplicate')} received before.${acks}`,
      };
    },
    async settle(partner, pending, problem, hub) {
      const gsControl = pending.about.gsControl;
      // The receipt of one of the hub's acknowledgements settles no interchange (there is no 997 for a 997).
      const document = pending.about.acknowledgement !== true;
      if (document && typeof gsControl === 'number' && Number.isFinite(gsControl)) {
        await stores.edi.recordAcknowledgement({
          partner: partner.name,
          gsControl,
          status: problem ? 'rejected' : 'accepted',
          codes: problem ? ['MDN', 'refused'] : ['MDN'],
          at: context.now().toISOString(),
        });
      }
      if (problem) {
        await hub.raise({
          code: AS2_RECEIPT_REFUSED,
          detail: `${pending.fileName} (${pending.messageId}): ${problem}`,
          system: partner.name,
          subject: `as2:${partner.name}:${pending.messageId}`,
          payload: JSON.stringify(pending),
        });
      }
    },
  });
  return {
    format: 'as2',
    // AS2 authenticates by the message's signature, checked against the partner's certificate.
    authentication: 'request',
    receive(system, request, hub) {
      const partner = partners.get(system);
      if (!partner)
        throw new NotFoundError(`no AS2 partner '${system}' (a system with as2: in the configuration)`);
      return as2.receive(partner, request, hub);
    },
  };
}

/** A source per partner with an `as2.url`, sending the hub's acknowledgements back to it. */
function openAckSources(context: ConnectorContext): SourceConnector[] {
  return [...as2Partners(context.config).values()]
    .filter((partner) => partner.settings.url !== undefined)
    .map((partner) => as2AckSource(context, partner, context.state(as2Instance(partner.name))));
}

/** The `as2` kind: `systems.<partner>.as2`, the hub's AS2 endpoint, and its acknowledgements sent back. */
export const as2Connector: ConnectorKind = {
  kind: 'as2',
  systemSection: { key: 'as2', read: (value, system) => readAs2(value, system) },
  openInbound: openAs2Inbound,
  openSources: openAckSources,
};
