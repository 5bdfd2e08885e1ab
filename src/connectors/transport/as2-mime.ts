/**
 * The MIME of AS2 (RFC 4130 over RFC 2045/1847/3462): an entity's headers and body, split on exact bytes
 * (a signature covers the signed part byte for byte), multipart bodies, and building entities with CRLF.
 */

/** A MIME entity: lower-case headers, and its body as the bytes that followed the blank line. */
export interface MimeEntity {
  headers: Record<string, string>;
  body: Buffer;
}

const CRLF = '\r\n';

/** Splits `raw` at its first blank line (CRLF or LF) into headers (folded lines unfolded) and body. */
export function parseEntity(raw: Buffer): MimeEntity {
  let end = raw.indexOf('\r\n\r\n');
  let skip = 4;
  const lf = raw.indexOf('\n\n');
  if (end === -1 || (lf !== -1 && lf < end)) {
    end = lf;
    skip = 2;
  }
  if (end === -1) return { headers: {}, body: raw };
  const headers: Record<string, string> = {};
  const lines = raw.subarray(0, end).toString('latin1').split(/\r?\n/);
  let last: string | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      headers[last] += ` ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    last = line.slice(0, colon).trim().toLowerCase();
    headers[last] = line.slice(colon + 1).trim();
  }
  return { headers, body: raw.subarray(end + skip) };
}

/** A header's main value and its parameters: `multipart/signed; micalg=sha-256` → type and `{micalg}`. */
export function headerParams(value: string | undefined): { value: string; params: Record<string, string> } {
  const params: Record<string, string> = {};
  if (!value) return { value: '', params };
  const [main = '', ...rest] = value.split(';');
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim().toLowerCase();
    params[name] = part
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { value: main.trim().toLowerCase(), params };
}

/**
 * The parts of a multipart body, each as its exact bytes (headers and body): what lies between
 * `--boundary` lines, without the line break before the next delimiter (it belongs to the delimiter).
 */
export function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: Buffer[] = [];
  let at = body.indexOf(delimiter);
  while (at !== -1) {
    let start = at + delimiter.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    // Skip the rest of the delimiter line (transport padding, then CRLF or LF).
    const eol = body.indexOf('\n', start);
    if (eol === -1) break;
    start = eol + 1;
    const next = body.indexOf(delimiter, start);
    if (next === -1) break;
    let end = next;
    if (body[end - 1] === 0x0a) end -= 1;
    if (body[end - 1] === 0x0d) end -= 1;
    parts.push(body.subarray(start, end));
    at = next;
  }
  return parts;
}

/** An entity's body decoded by its Content-Transfer-Encoding (base64, or 7bit/8bit/binary as is). */
export function decodedBody(entity: MimeEntity): Buffer {
  const encoding = (entity.headers['content-transfer-encoding'] ?? 'binary').toLowerCase();
  if (encoding === 'base64') return Buffer.from(entity.body.toString('latin1').replace(/\s+/g, ''), 'base64');
  if (encoding === 'quoted-printable') {
    const text = entity.body
      .toString('latin1')
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
    return Buffer.from(text, 'latin1');
  }
  return entity.body;
}

/** Builds an entity: `headers` (in order) with CRLF, a blank line, then `body`. */
export function buildEntity(headers: Array<[string, string]>, body: Buffer | string): Buffer {
  const head = headers.map(([name, value]) => `${name}: ${value}${CRLF}`).join('');
  return Buffer.concat([Buffer.from(`${head}${CRLF}`, 'latin1'), Buffer.from(body)]);
}

/** Base64 in lines of 76 characters with CRLF, as MIME writes it. */
export function base64Lines(data: Buffer): string {
  return (data.toString('base64').match(/.{1,76}/g) ?? []).join(CRLF) + CRLF;
}

/** A multipart body of `parts` (each an entity's exact bytes) with `boundary`. */
export function buildMultipart(parts: Buffer[], boundary: string): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) chunks.push(Buffer.from(`--${boundary}${CRLF}`), part, Buffer.from(CRLF));
  chunks.push(Buffer.from(`--${boundary}--${CRLF}`));
  return Buffer.concat(chunks);
}

/** Lines in `text` turned to CRLF (a MIME text body's canonical form). */
export function crlf(text: string): string {
  return text.replace(/\r?\n/g, CRLF);
}
