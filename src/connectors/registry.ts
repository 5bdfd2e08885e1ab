/**
 * The connector kinds the hub knows, in the order their keys are listed in messages. Adding a kind is one
 * folder under `src/connectors/<kind>/` and one line here (src/connectors/README.md); tests may register
 * a kind of their own with `registerConnector`.
 */
import type { ConnectorKind } from './connector-port.js';
import { as2Connector } from './edi/as2.js';
import { ediConnector } from './edi/connector.js';
import { httpConnector } from './http/connector.js';
import { ndjsonFileConnector } from './ndjson-file/connector.js';
import { pollConnector } from './poll/connector.js';
import { subscribeConnector } from './subscribe/connector.js';
import { webhookConnector } from './webhook/connector.js';

const kinds: ConnectorKind[] = [
  httpConnector, // webhooks: CloudEvents JSON over HTTP (the default kind of a subscription)
  ediConnector, // X12 over HTTP or a folder drop
  ndjsonFileConnector, // each event as one JSON line appended to a file (an audit trail)
  webhookConnector, // native webhooks in: a system's own JSON/XML → events by JSONata (systems.<n>.inbound)
  pollConnector, // systems.<n>.poll: pulls pages of a system's API without webhooks, by cursor
  subscribeConnector, // systems.<n>.subscribe: keeps a system's webhook subscription registered and renewed
  as2Connector, // systems.<n>.as2: X12 over AS2 (signed, encrypted, receipts); POST /v1/as2/{partner}
];

/** The registered kinds, in registration order. */
export function connectorKinds(): readonly ConnectorKind[] {
  return kinds;
}

/** The kind named `kind`, if registered. */
export function connectorKind(kind: string): ConnectorKind | undefined {
  return kinds.find((k) => k.kind === kind);
}

/** Adds a kind (a test's own); returns the undo. A kind's name must be new. */
export function registerConnector(kind: ConnectorKind): () => void {
  if (connectorKind(kind.kind)) throw new Error(`a connector kind '${kind.kind}' is already registered`);
  kinds.push(kind);
  return () => {
    const at = kinds.indexOf(kind);
    if (at >= 0) kinds.splice(at, 1);
  };
}

/** The kinds with a section under each system (`inbound:` of `webhook`), in registration order. */
export function systemSections(): {
  kind: string;
  key: string;
  read: NonNullable<ConnectorKind['systemSection']>['read'];
}[] {
  return kinds.flatMap((k) =>
    k.systemSection
      ? [{ kind: k.kind, key: k.systemSection.key, read: k.systemSection.read.bind(k.systemSection) }]
      : [],
  );
}

/** Every subscription key owned by a kind, in registration order (`http`, `edi`, `dir`, …). */
export function connectorKeys(): string[] {
  return kinds.filter((k) => k.readSection).flatMap((k) => [k.kind, ...(k.extraKeys ?? [])]);
}

/**
 * The kind that delivers a subscription with these keys: the kinds whose section is present, less those
 * another present kind rides as its transport. None: the first registered kind (it reports its missing
 * section). Several: all of them, for the compiler to refuse.
 */
export function kindsFor(has: (key: string) => boolean): ConnectorKind[] {
  const present = kinds.filter((k) => k.readSection && has(k.kind));
  const ridden = new Set(present.flatMap((k) => k.rides ?? []));
  const chosen = present.filter((k) => !ridden.has(k.kind));
  const first = kinds[0];
  return chosen.length === 0 && first ? [first] : chosen;
}
