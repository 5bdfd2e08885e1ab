/**
 * `systems.<name>.x12.sftp`: a trading partner's SFTP server (a 3PL's or a VAN's mailbox), read for
 * `check-config` with each problem at its file:line (docs/recipes/sftp-3pl.md).
 */
import type { X12Sftp } from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';

/** OpenSSH's `SHA256:` fingerprint: 32 bytes in base64 without padding (43 characters). */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;
const AFTER = ['delete', 'move', 'leave'] as const;
const UPLOAD = ['rename', 'direct'] as const;

export function readSftp(value: ConfigValue | undefined): X12Sftp | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly([
    'host',
    'port',
    'username',
    'privateKey',
    'privateKeyFile',
    'passphrase',
    'hostKey',
    'inbox',
    'outbox',
    'acks',
    'afterProcessing',
    'moveTo',
    'upload',
    'pollSeconds',
    'timeoutSeconds',
  ]);
  const host = map.require('host')?.string();
  const port = map.get('port')?.int(1, 65535) ?? 22;
  const username = map.require('username')?.string();
  // A key from an env var may come on one line with `\n` for its line breaks.
  const keyText = map.get('privateKey')?.string({ secret: true });
  const privateKey = keyText?.includes('\n') === false ? keyText.replace(/\\n/g, '\n') : keyText;
  const privateKeyFile = map.get('privateKeyFile')?.string();
  if (map.has('privateKey') && map.has('privateKeyFile')) {
    map
      .get('privateKeyFile')
      ?.report('give either privateKey (the key itself, from an env var) or privateKeyFile, not both');
  } else if (!map.has('privateKey') && !map.has('privateKeyFile')) {
    map.report(
      'an sftp: server needs privateKey (the key itself, from an env var) or privateKeyFile: only key authentication is used',
    );
  }
  if (privateKey !== undefined && !privateKey.includes('PRIVATE KEY')) {
    map.get('privateKey')?.report('expected a private key (PEM or OpenSSH, "-----BEGIN … PRIVATE KEY-----")');
  }
  const passphrase = map.get('passphrase')?.string({ secret: true });
  const hostKey = map
    .require('hostKey')
    ?.matching(
      FINGERPRINT,
      'host key fingerprint',
      "use the SHA256 fingerprint as OpenSSH prints it ('SHA256:' and 43 base64 characters; ssh-keygen -lf <host key>.pub, or ssh-keyscan <host> | ssh-keygen -lf -)",
    );
  const folder = (key: string) => {
    const item = map.get(key);
    const text = item?.string();
    if (text !== undefined && text.trim() === '') item?.report('expected a folder path on the server');
    return text;
  };
  const inbox = folder('inbox');
  const outbox = folder('outbox');
  const acks = folder('acks');
  const afterValue = map.get('afterProcessing');
  const afterProcessing = afterValue?.oneOf(AFTER, 'afterProcessing') ?? 'delete';
  const moveTo = folder('moveTo');
  if (afterProcessing === 'move' && moveTo === undefined && !map.has('moveTo')) {
    (afterValue ?? map).report('afterProcessing: move needs moveTo: <folder on the server>');
  }
  if (afterProcessing !== 'move' && map.has('moveTo')) {
    map.get('moveTo')?.report(`moveTo: is only read with afterProcessing: move (here ${afterProcessing})`);
  }
  if (outbox === undefined && (map.has('acks') || afterValue !== undefined)) {
    map.report('acks: and afterProcessing: are about the files taken from outbox:, which is missing');
  }
  if (inbox === undefined && outbox === undefined && !map.has('inbox') && !map.has('outbox')) {
    map.report(
      'an sftp: server needs inbox: (documents to the partner) or outbox: (documents from it), or both',
    );
  }
  const upload = map.get('upload')?.oneOf(UPLOAD, 'upload') ?? 'rename';
  const pollSeconds = map.get('pollSeconds')?.int(1, 86_400) ?? 30;
  const timeoutSeconds = map.get('timeoutSeconds')?.int(1, 600) ?? 20;
  // With a problem reported above the configuration is refused anyway; the server is still returned, so
  // that the subscriptions using it do not report it missing too.
  return {
    host: host ?? '',
    port,
    username: username ?? '',
    ...(privateKey !== undefined ? { privateKey } : {}),
    ...(privateKeyFile !== undefined ? { privateKeyFile } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
    hostKey: hostKey ?? '',
    ...(inbox !== undefined ? { inbox } : {}),
    ...(outbox !== undefined ? { outbox } : {}),
    ...(acks !== undefined ? { acks } : {}),
    afterProcessing,
    ...(moveTo !== undefined ? { moveTo } : {}),
    upload,
    pollSeconds,
    timeoutMs: timeoutSeconds * 1000,
  };
}
