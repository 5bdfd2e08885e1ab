/**
 * The `edi` connector kind: X12 with trading partners. A subscription's `edi: { sets }` section picks the
 * sets sent to its target (an EDI partner, a system with `x12:`), carried by the HTTP transport
 * (`http: { url }`, POST `application/edi-x12`) or the folder transport (`dir: <folder>`). Inbound, X12
 * from a partner (`POST /v1/edi/{partner}`) is received by its inbound role (`inbound.ts`), and each
 * partner's watched `x12.inbox` folder is one of its sources (`inbox-source.ts`, the folder transport).
 */
import {
  EDI_OUTBOUND_SET_IDS,
  type EdiOutboundSetId,
  type HttpConnectorConfig,
} from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';
import type { ConnectorContext, ConnectorKind, Transport } from '../connector-port.js';
import { DEFAULT_HTTP_TIMEOUT_MS, readHttp } from '../http/config-section.js';
import { as2Transport } from '../transport/as2.js';
import { type As2Settings, loadPartner } from '../transport/as2-config.js';
import { folderTransport } from '../transport/folder.js';
import { httpClient, httpTransport } from '../transport/http.js';
import { sftpConnection, sftpTransport } from '../transport/sftp.js';
import { ediAckSources } from './ack-deadline.js';
import { as2Instance, describeInterchange } from './as2.js';
import { EdiInbound, type EdiInboundStores } from './inbound.js';
import { ediInboxSources } from './inbox-source.js';
import { EdiOutbound, type EdiOutboundStores } from './outbound.js';
import { type ItemTableStore, seedPartnerItems } from './partner-items.js';
import { ediSftpSources } from './sftp-source.js';

/** The canonical event type each outbound X12 set is made from (see `mappings/outbound.ts`). */
export const EDI_SET_EVENT_TYPES: Record<EdiOutboundSetId, string> = {
  '855': 'com.manifold.order.milestone.v1',
  '856': 'com.manifold.order.shipped.v1',
  '810': 'com.manifold.order.invoiced.v1',
  '846': 'com.manifold.inventory.availability.v1',
  '940': 'com.manifold.order.released.v1',
  '865': 'com.manifold.order.change-acknowledged.v1',
};

/** The compiled `edi:` section: the sets, and the transport that carries them. */
export interface EdiSection {
  sets: EdiOutboundSetId[];
  http?: HttpConnectorConfig;
  dir?: { path: string };
  /** Uploads to the target partner's SFTP server (`x12.sftp`), into `dir` (default its `inbox`). */
  sftp?: { dir: string };
  /** Over AS2 to the target's `as2:` (neither `http:` nor `dir:` given). */
  as2?: true;
}

export const ediConnector: ConnectorKind = {
  kind: 'edi',
  extraKeys: ['dir', 'sftp'],
  rides: ['http'],
  misplaced: (key) =>
    key === 'dir' || key === 'sftp'
      ? `${key}: is only for edi: subscriptions (outbound X12 files)`
      : `${key}: is only for edi: subscriptions`,
  readSection(map, { target, systems }) {
    const ediValue = map.get('edi');
    const edi = readEdi(ediValue);
    if (edi !== undefined && target !== undefined && systems.get(target)?.x12 === undefined) {
      ediValue?.report(
        `subscription target '${target}' is not an EDI partner; an edi: subscription needs a target with x12: { id, qualifier } (systems.${target}.x12)`,
      );
    }
    if (edi === undefined) return undefined;
    return {
      defaultTypes: [...new Set(edi.sets.map((set) => EDI_SET_EVENT_TYPES[set]))],
      checkTypes(types, matches, typesValue) {
        if (types.length === 0) return;
        // A set is made from one event type: types that leave it out mean the set is never sent.
        for (const set of edi.sets) {
          const needed = EDI_SET_EVENT_TYPES[set];
          if (!matches(needed)) {
            typesValue.report(
              `edi set ${set} is made from ${needed} events, which these types leave out, so it would never be sent; add '${needed}' to types (or drop ${set} from edi.sets)`,
            );
          }
        }
      },
      complete(subscription) {
        subscription.edi = edi;
        const section: EdiSection = { sets: edi.sets };
        const dirValue = map.get('dir');
        const sftpValue = map.get('sftp');
        const given = [map.has('http') && 'http:', dirValue && 'dir:', sftpValue && 'sftp:'].filter(Boolean);
        if (given.length > 1) {
          (dirValue ?? sftpValue)?.report(
            `give one of http:, dir: or sftp: for an edi: subscription, not ${given.join(' and ')}`,
          );
        } else if (given.length === 0) {
          if (target !== undefined && systems.get(target)?.sections?.as2 !== undefined) section.as2 = true;
          else
            ediValue?.report(
              "an edi: subscription needs http: { url } (POST application/edi-x12), dir: <folder> (file drop), sftp: {} (upload to the partner's x12.sftp server), or a target with as2: (systems.<target>.as2)",
            );
        }
        const http = map.has('http') ? readHttp(map.get('http')) : undefined;
        if (http !== undefined) {
          subscription.http = http;
          section.http = http;
          if (http.batch) map.get('http')?.report('batch: true is not supported for edi: subscriptions');
        }
        const path = dirValue?.string();
        if (path !== undefined) {
          subscription.dir = { path };
          section.dir = { path };
        }
        if (sftpValue !== undefined && given.length === 1) {
          const server = target === undefined ? undefined : systems.get(target)?.x12?.sftp;
          const sftpMap = sftpValue.map();
          sftpMap?.allowOnly(['dir']);
          const dir = sftpMap?.get('dir')?.string() ?? server?.inbox;
          if (target !== undefined && systems.get(target)?.x12 !== undefined && server === undefined) {
            sftpValue.report(
              `target '${target}' has no SFTP server; give it systems.${target}.x12.sftp: { host, username, privateKey, hostKey, inbox }`,
            );
          } else if (server !== undefined && dir === undefined) {
            sftpValue.report(
              `no folder to upload to: give systems.${target}.x12.sftp.inbox, or sftp: { dir: <folder on the server> }`,
            );
          } else if (dir !== undefined) {
            section.sftp = { dir };
          }
        }
        return {
          kind: 'edi',
          section,
          batch: http?.batch ?? false,
          attemptTimeoutMs:
            http?.timeoutMs ??
            (section.sftp && target !== undefined
              ? (systems.get(target)?.x12?.sftp?.timeoutMs ?? 20_000) * 2
              : DEFAULT_HTTP_TIMEOUT_MS),
        };
      },
    };
  },
  openOutbound(context) {
    const { metrics } = context;
    const edi = new EdiOutbound(
      context.config,
      context.stores as EdiOutboundStores,
      context.now,
      metrics && ((partner, set, outcome) => metrics.document({ partner, set, direction: 'out', outcome })),
    );
    return (subscription, compiled) => {
      const section = compiled as EdiSection;
      const server = context.config.systems.get(subscription.target)?.x12?.sftp;
      const transport: Transport | undefined = section.http
        ? httpTransport(httpClient(context), section.http, context.now)
        : section.dir
          ? folderTransport(section.dir.path)
          : section.sftp && server
            ? sftpTransport(sftpConnection(context, subscription.target, server), section.sftp.dir)
            : section.as2
              ? openAs2Transport(context, subscription.target)
              : undefined;
      return {
        async send(events, { trace }) {
          const [event] = events;
          if (!event || events.length !== 1)
            throw new Error('an edi: subscription sends one event at a time');
          if (!transport)
            return {
              outcome: 'permanent',
              latencyMs: 0,
              error: 'the subscription has neither http, dir, sftp nor as2',
            };
          return edi.send(subscription, event, transport, trace);
        },
      };
    };
  },
  openInbound(context) {
    return new EdiInbound(context.config, context.stores as EdiInboundStores, context.now, context.metrics);
  },
  openSources: (context) => [
    ...ediInboxSources(context),
    ...ediSftpSources(context),
    ...ediAckSources(context),
  ],
  // The partners' `itemMap` seeds, before anything maps a set (docs/edi.md#item-ids).
  async prepare(context) {
    const stores = context.stores as { xref: Pick<ItemTableStore, 'get' | 'putMany'> };
    await seedPartnerItems(context.config.systems, stores.xref, context.now().toISOString());
  },
};

/** The AS2 transport to `partner` (its `as2:`), keeping the receipts still to come in its state. */
function openAs2Transport(context: ConnectorContext, partner: string): Transport | undefined {
  const settings = context.config.systems.get(partner)?.sections?.as2 as As2Settings | undefined;
  if (!settings) return undefined;
  return as2Transport({
    partner: loadPartner(partner, settings),
    state: context.state(as2Instance(partner)),
    now: context.now,
    describe: describeInterchange,
  });
}

/** `edi: { sets: [855, 856, 810, 846, 940, 865] }` (a non-empty subset). */
function readEdi(value: ConfigValue | undefined): { sets: EdiOutboundSetId[] } | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly(['sets']);
  const setsValue = map.require('sets');
  const items = setsValue?.list({ allowSingle: true });
  if (items === undefined) return undefined;
  if (items.length === 0)
    setsValue?.report(`expected at least one X12 set: ${EDI_OUTBOUND_SET_IDS.join(', ')}`);
  const sets: EdiOutboundSetId[] = [];
  for (const item of items) {
    const id = item.string();
    if (id === undefined) continue;
    if (!(EDI_OUTBOUND_SET_IDS as readonly string[]).includes(id)) {
      item.report(`X12 set '${id}' is not sent by Manifold; use ${EDI_OUTBOUND_SET_IDS.join(', ')}`, id);
      continue;
    }
    if (!sets.includes(id as EdiOutboundSetId)) sets.push(id as EdiOutboundSetId);
  }
  return { sets };
}
