/**
 * The outbound X12 store on SQL (`edi_outbound`, migration 0006), shared by both adapters through their
 * `StepRunner` like `sql-inventory.ts`.
 */
import type {
  EdiAcknowledgement,
  EdiOutboundQuery,
  EdiOutboundRecord,
  EdiStore,
  NewEdiOutbound,
} from './edi-port.js';
import type { StepRunner } from './sql-step.js';

type EdiRow = Record<string, string | number | null>;

function toRecord(row: EdiRow): EdiOutboundRecord {
  const record: EdiOutboundRecord = {
    subscription: String(row.subscription),
    eventSource: String(row.event_source),
    eventId: String(row.event_id),
    partner: String(row.partner),
    setId: String(row.set_id),
    isa13: Number(row.isa13),
    gsControl: Number(row.gs_control),
    stControl: Number(row.st_control),
    body: String(row.body),
    createdAt: String(row.created_at),
  };
  if (row.ack_status === 'accepted' || row.ack_status === 'rejected') record.ackStatus = row.ack_status;
  if (row.ack_at !== null && row.ack_at !== undefined) record.ackAt = String(row.ack_at);
  if (row.ack_codes !== null && row.ack_codes !== undefined)
    record.ackCodes = JSON.parse(String(row.ack_codes)) as string[];
  return record;
}

const SELECT_ONE = 'SELECT * FROM edi_outbound WHERE subscription = ? AND event_source = ? AND event_id = ?';

export class SqlEdi implements EdiStore {
  constructor(private readonly runner: StepRunner) {}

  async saveOutbound(row: NewEdiOutbound): Promise<EdiOutboundRecord> {
    const [, kept] = (await this.runner.write([
      {
        sql: `INSERT INTO edi_outbound (subscription, event_source, event_id, partner, set_id, isa13, gs_control,
                st_control, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              ON CONFLICT (subscription, event_source, event_id) DO NOTHING`,
        params: [
          row.subscription,
          row.eventSource,
          row.eventId,
          row.partner,
          row.setId,
          row.isa13,
          row.gsControl,
          row.stControl,
          row.body,
          row.createdAt,
        ],
        mode: 'run',
      },
      { sql: SELECT_ONE, params: [row.subscription, row.eventSource, row.eventId], mode: 'get' },
    ])) as [unknown, EdiRow];
    return toRecord(kept);
  }

  async getOutbound(
    subscription: string,
    eventSource: string,
    eventId: string,
  ): Promise<EdiOutboundRecord | undefined> {
    const [row] = await this.runner.read<EdiRow>(SELECT_ONE, [subscription, eventSource, eventId]);
    return row ? toRecord(row) : undefined;
  }

  async recordAcknowledgement(ack: EdiAcknowledgement): Promise<number> {
    const conditions = ['partner = ?', 'gs_control = ?'];
    const params: unknown[] = [ack.status, ack.at, JSON.stringify(ack.codes), ack.partner, ack.gsControl];
    if (ack.stControl !== undefined) {
      conditions.push('st_control = ?');
      params.push(ack.stControl);
    }
    if (ack.setId !== undefined) {
      conditions.push('set_id = ?');
      params.push(ack.setId);
    }
    const [result] = (await this.runner.write([
      {
        sql: `UPDATE edi_outbound SET ack_status = ?, ack_at = ?, ack_codes = ? WHERE ${conditions.join(' AND ')}`,
        params,
        mode: 'run',
      },
    ])) as [{ changes: number }];
    return result.changes;
  }

  async listOutbound(query: EdiOutboundQuery): Promise<EdiOutboundRecord[]> {
    const conditions: string[] = [];
    const params: unknown[] = [];
    if (query.partner !== undefined) {
      conditions.push('partner = ?');
      params.push(query.partner);
    }
    if (query.unacknowledgedBefore !== undefined) {
      conditions.push('ack_status IS NULL AND created_at < ?');
      params.push(query.unacknowledgedBefore);
    }
    params.push(query.limit);
    const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
    const rows = await this.runner.read<EdiRow>(
      `SELECT * FROM edi_outbound ${where} ORDER BY created_at, isa13 LIMIT ?`,
      params,
    );
    return rows.map(toRecord);
  }
}
