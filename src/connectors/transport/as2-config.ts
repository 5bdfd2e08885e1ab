/**
 * `systems.<partner>.as2`: an AS2 trading relationship (docs/recipes/as2-partner.md). Certificates are PEM
 * text (an env value) or the path of a PEM file; each is read and checked here, so `check-config` says at
 * file:line which one is unreadable, not a certificate, not the key's, or expired. Several may be listed at
 * once for a rollover: a message signed with any valid one of the partner's is accepted, and the newest
 * valid one (latest start of validity; on a tie the later in the list) is used to encrypt and sign.
 */
import { readFileSync } from 'node:fs';
import type { ConfigValue } from '../../config/config-reader.js';
import {
  type As2Certificate,
  type As2KeyPair,
  loadCertificate,
  loadKeyPair,
  validNewestFirst,
} from './as2-cms.js';

/** The compiled `as2:` of a partner. */
export interface As2Settings {
  /** The partner's AS2 name (AS2-From of its messages, AS2-To of ours). */
  id: string;
  /** The hub's AS2 name in this relationship. */
  hubId: string;
  /** Where the hub posts its messages (outbound); absent: the partner only sends. */
  url?: string;
  /** The partner's certificates (PEM), for checking its signatures and encrypting to it. */
  certificates: string[];
  /** The hub's key pairs (PEM), for decrypting and signing. */
  hubKeys: Array<{ certificate: string; key: string }>;
  /** How the hub asks for receipts: in the answer (`sync`), or posted later to `receiptUrl` (`async`). */
  mdn: 'sync' | 'async';
  receiptUrl?: string;
  timeoutMs: number;
}

const AS2_NAME = /^[!-~]{1,128}$/;

/** The PEM of `value`: the text itself when it holds one, else the content of the file it names. */
function readPem(value: ConfigValue, what: string, options: { secret?: boolean } = {}): string | undefined {
  const text = value.string(options);
  if (text === undefined) return undefined;
  if (text.includes('-----BEGIN')) return text;
  if (text.trim() === '') {
    value.report(`expected ${what} (PEM text or the path of a PEM file), got an empty string`);
    return undefined;
  }
  try {
    return readFileSync(text, 'utf8');
  } catch (error) {
    value.report(
      `cannot read ${what} file '${text}': ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
    return undefined;
  }
}

/** Reports an expired certificate (and answers it), or one that cannot be used. */
function checkCertificate(value: ConfigValue, pem: string, now: Date): As2Certificate | undefined {
  let certificate: As2Certificate;
  try {
    certificate = loadCertificate(pem);
  } catch (error) {
    value.report(`not a usable RSA certificate in PEM: ${(error as Error).message}`);
    return undefined;
  }
  if (certificate.validTo < now) {
    value.report(
      `certificate ${certificate.subject} expired on ${certificate.validTo.toISOString()}; remove it (after a rollover, keep only the new one)`,
    );
  }
  return certificate;
}

/** Reads `as2: { id, hubId, url?, certificates, hubKeys, mdn?, receiptUrl?, timeoutSeconds? }`. */
export function readAs2(
  value: ConfigValue,
  system: { name: string },
  now = new Date(),
): As2Settings | undefined {
  const map = value.map();
  if (map === undefined) return undefined;
  map.allowOnly(['id', 'hubId', 'url', 'certificates', 'hubKeys', 'mdn', 'receiptUrl', 'timeoutSeconds']);
  const rule = 'use 1 to 128 printable ASCII characters without spaces (RFC 4130 §6.2)';
  const id = map.require('id')?.matching(AS2_NAME, 'AS2 name', rule);
  const hubId = map.require('hubId')?.matching(AS2_NAME, 'AS2 name', rule);
  const urlValue = map.get('url');
  const url = urlValue?.string();
  if (url !== undefined && !/^https?:\/\/[^\s]+$/.test(url))
    urlValue?.report(`expected an http(s) URL, got '${url}'`);
  const certificates: string[] = [];
  const certsValue = map.require('certificates');
  const certItems = certsValue?.list({ allowSingle: true }) ?? [];
  let valid = 0;
  for (const item of certItems) {
    const pem = readPem(item, `partner ${system.name}'s certificate`);
    const certificate = pem === undefined ? undefined : checkCertificate(item, pem, now);
    if (pem === undefined || certificate === undefined) continue;
    certificates.push(pem);
    if (validNewestFirst([certificate], now, (c) => c).length > 0) valid += 1;
  }
  if (
    certsValue !== undefined &&
    certItems.length > 0 &&
    certificates.length === certItems.length &&
    valid === 0
  )
    certsValue.report(
      `none of partner ${system.name}'s certificates is valid now; add its current certificate`,
    );
  const hubKeys: As2Settings['hubKeys'] = [];
  const keysValue = map.require('hubKeys');
  for (const item of keysValue?.list({ allowSingle: true }) ?? []) {
    const pair = item.map();
    if (pair === undefined) continue;
    pair.allowOnly(['certificate', 'key']);
    const certValue = pair.require('certificate');
    const keyValue = pair.require('key');
    const certificate = certValue && readPem(certValue, "the hub's certificate");
    const key = keyValue && readPem(keyValue, "the hub's private key", { secret: true });
    if (certificate === undefined || key === undefined || certValue === undefined || keyValue === undefined)
      continue;
    if (checkCertificate(certValue, certificate, now) === undefined) continue;
    try {
      loadKeyPair(certificate, key);
    } catch (error) {
      keyValue.report(
        `not a usable unencrypted RSA private key for the certificate: ${(error as Error).message}`,
      );
      continue;
    }
    hubKeys.push({ certificate, key });
  }
  const mdn = (map.get('mdn')?.oneOf(['sync', 'async'], 'receipt mode') ?? 'sync') as 'sync' | 'async';
  const receiptValue = map.get('receiptUrl');
  const receiptUrl = receiptValue?.string();
  if (mdn === 'async' && receiptUrl === undefined)
    map.report(
      "mdn: async needs receiptUrl: the hub's own AS2 address the partner posts its receipts to (…/v1/as2/<partner>)",
    );
  const timeoutSeconds = map.get('timeoutSeconds')?.int(1, 600) ?? 60;
  if (id === undefined || hubId === undefined) return undefined;
  return {
    id,
    hubId,
    ...(url === undefined ? {} : { url }),
    certificates,
    hubKeys,
    mdn,
    ...(receiptUrl === undefined ? {} : { receiptUrl }),
    timeoutMs: timeoutSeconds * 1000,
  };
}

/** A partner's settings loaded for use: its certificates and the hub's key pairs, parsed once. */
export interface As2Partner {
  name: string;
  settings: As2Settings;
  certificates: As2Certificate[];
  hubKeys: As2KeyPair[];
}

export function loadPartner(name: string, settings: As2Settings): As2Partner {
  return {
    name,
    settings,
    certificates: settings.certificates.map(loadCertificate),
    hubKeys: settings.hubKeys.map((pair) => loadKeyPair(pair.certificate, pair.key)),
  };
}

/** The newest of `items` valid at `now` (a tie goes to the later in the list), if any. */
export function newest<T>(items: readonly T[], now: Date, cert: (item: T) => As2Certificate): T | undefined {
  return validNewestFirst([...items].reverse(), now, cert)[0];
}
