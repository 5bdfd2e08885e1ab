/**
 * The CloudEvents 1.0 envelope as Manifold stores and sends it, with the extensions of docs/architecture.md.
 * Extension attributes are lower-case, alphanumeric names per the CloudEvents spec.
 */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  time?: string;
  subject?: string;
  datacontenttype?: string;
  dataschema?: string;
  correlationid?: string;
  causationid?: string;
  /** The source's own ordering value (CloudEvents `sequence` extension), kept as sent. */
  sequence?: string;
  partitionkey?: string;
  traceparent?: string;
  data?: unknown;
  /** Other extension attributes sent by the source, kept verbatim. */
  [extension: string]: unknown;
}

/** An event as it sits in the log: the envelope plus the log's own position and receipt time. */
export interface LoggedEvent {
  /** Position in the append-only log: strictly increasing, assigned at commit. */
  seq: number;
  /** When the hub committed the event (ISO 8601). */
  ingestedAt: string;
  /** The system that sent it (the authenticated caller), or `manifold` for events the hub emits. */
  system: string;
  event: CloudEvent;
}
