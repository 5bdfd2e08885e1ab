/**
 * The synchronous validation and enrichment call-out of `orders.validate` (docs/orders.md): before stock is
 * committed, the canonical order is POSTed to the validating system (the ERP), signed like deliveries.
 *
 * Its answer:
 * - 2xx `{"decision": "accept", "order": {…fields to merge…}}` (or an empty 2xx body): accepted, the
 *   returned fields (customer terms, unit prices per `lines[].lineId`, anything else) are merged;
 * - 2xx `{"decision": "refuse", "reason": "…"}` or a 4xx (its problem `detail` or body as the reason):
 *   refused — the order goes on `credit_hold`;
 * - a timeout, a 5xx or no connection: `unavailable`; `orders.validate.onTimeout` decides.
 */
import { request } from 'undici';
import type { HttpConnectorConfig } from '../../config/compiled-config.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';

export type ValidationOutcome =
  | { decision: 'accept'; fields: Record<string, unknown> }
  | { decision: 'refuse'; reason: string }
  | { decision: 'unavailable'; reason: string };

/** Calls the validating system with one order. */
export async function validateOrder(http: HttpConnectorConfig, order: unknown): Promise<ValidationOutcome> {
  const body = JSON.stringify(order);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...http.headers };
  if (http.secret)
    headers[SIGNATURE_HEADER] = signatureHeader(http.secret, body, Math.floor(Date.now() / 1000));
  try {
    const response = await request(http.url, {
      method: 'POST',
      headers,
      body,
      headersTimeout: http.timeoutMs,
      bodyTimeout: http.timeoutMs,
      signal: AbortSignal.timeout(http.timeoutMs),
    });
    const text = await response.body.text();
    let parsed: Record<string, unknown> = {};
    try {
      parsed = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
    } catch {
      parsed = { detail: text.slice(0, 512) };
    }
    if (response.statusCode >= 500 || response.statusCode === 408 || response.statusCode === 429) {
      return { decision: 'unavailable', reason: `validator answered ${response.statusCode}` };
    }
    if (response.statusCode >= 400) {
      const reason = String(
        parsed.detail ?? parsed.reason ?? parsed.title ?? `validator answered ${response.statusCode}`,
      );
      return { decision: 'refuse', reason };
    }
    if (parsed.decision === 'refuse') {
      return { decision: 'refuse', reason: String(parsed.reason ?? 'refused by the validator') };
    }
    const fields =
      typeof parsed.order === 'object' && parsed.order !== null
        ? (parsed.order as Record<string, unknown>)
        : {};
    return { decision: 'accept', fields };
  } catch (error) {
    return { decision: 'unavailable', reason: (error as Error).message || String(error) };
  }
}
