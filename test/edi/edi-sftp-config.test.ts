/**
 * `systems.<name>.x12.sftp` and `sftp:` on edi: subscriptions in the configuration: what compiles, and
 * each mistake at its file:line; the recipe examples/recipes/sftp-3pl.yaml passes `check-config` once its
 * env vars are set, and names an unset one at its line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileConfig, loadConfigFile } from '../../src/config/load-config.js';
import { configIssues as issuesOf, lineOf } from '../support/config-issues.js';

const FINGERPRINT = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';
const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjE=\\n-----END OPENSSH PRIVATE KEY-----';

const config = (sftp: string, subscription = 'sftp: {}') => `server: { adminKey: admin-key-0000000001 }
edi:
  x12: { id: MANIFOLD, qualifier: ZZ }
systems:
  erp: { kind: erp, key: erp-key-000000000001 }
  threepl:
    kind: edi
    key: threepl-key-0000000001
    locations: [DC-3PL]
    x12:
      id: 3PLWHSE
      qualifier: ZZ
      sftp:
${sftp}
locations:
  DC-3PL: { channels: [web] }
channels:
  web: { safetyStock: 0 }
subscriptions:
  - name: threepl-940
    target: threepl
    edi: { sets: [940] }
    ${subscription}
`;

const GOOD = `        host: sftp.3pl.example
        username: manifold
        privateKey: "${KEY}"
        hostKey: '${FINGERPRINT}'
        inbox: /in
        outbox: /out
        acks: /acks
        afterProcessing: leave`;

describe('x12.sftp in the configuration', () => {
  it('compiles a partner server with its defaults, and an edi: subscription uploading to its inbox', () => {
    const compiled = compileConfig(config(GOOD), 'manifold.yaml', {});
    const sftp = compiled.systems.get('threepl')?.x12?.sftp;
    expect(sftp).toMatchObject({
      host: 'sftp.3pl.example',
      port: 22,
      username: 'manifold',
      hostKey: FINGERPRINT,
      inbox: '/in',
      outbox: '/out',
      acks: '/acks',
      afterProcessing: 'leave',
      upload: 'rename',
      pollSeconds: 30,
    });
    expect(sftp?.privateKey).toBe(
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----',
    );
    const subscription = compiled.subscriptions.find((s) => s.name === 'threepl-940');
    expect(subscription?.connector).toMatchObject({
      kind: 'edi',
      section: { sets: ['940'], sftp: { dir: '/in' } },
    });
    expect(subscription?.types).toEqual(['com.manifold.order.released.v1']);
  });

  it('reports each mistake at its line', () => {
    const text = config(
      `        host: sftp.3pl.example
        username: manifold
        password: hunter2
        hostKey: 'ab:cd:ef'
        outbox: /out
        afterProcessing: move
        upload: sideways`,
      'sftp: {}\n    dir: /drop',
    );
    const issues = issuesOf(text);
    const at = (needle: string) => issues.find((issue) => issue.line === lineOf(text, needle))?.message;
    expect(at('password: hunter2')).toContain("unknown key 'password'");
    expect(at("hostKey: 'ab:cd:ef'")).toContain("use the SHA256 fingerprint as OpenSSH prints it ('SHA256:'");
    expect(at('afterProcessing: move')).toContain('afterProcessing: move needs moveTo');
    expect(at('upload: sideways')).toContain("unknown upload 'sideways'; expected one of: rename, direct");
    expect(at('host: sftp.3pl.example')).toContain('needs privateKey');
    expect(at('dir: /drop')).toContain(
      'give one of http:, dir: or sftp: for an edi: subscription, not dir: and sftp:',
    );
  });

  it('refuses sftp: towards a partner without a server, or without a folder to upload to', () => {
    const noServer = config(GOOD).replace(/ {6}sftp:\n(.*\n){8}/, '');
    expect(noServer).not.toContain('hostKey');
    const text = noServer;
    const issues = issuesOf(text);
    expect(issues.find((i) => i.line === lineOf(text, 'sftp: {}'))?.message).toContain(
      "target 'threepl' has no SFTP server; give it systems.threepl.x12.sftp",
    );
    const noInbox = config(GOOD.replace('        inbox: /in\n', ''));
    expect(issuesOf(noInbox).find((i) => i.line === lineOf(noInbox, 'sftp: {}'))?.message).toContain(
      'no folder to upload to',
    );
    const misplaced = `${config(GOOD)}  - name: erp-orders
    target: erp
    types: [com.manifold.order.*]
    http: { url: https://erp.example/hook }
    sftp: {}
`;
    expect(issuesOf(misplaced).some((i) => i.message.includes('sftp: is only for edi: subscriptions'))).toBe(
      true,
    );
  });
});

describe('the recipe examples/recipes/sftp-3pl.yaml', () => {
  const file = new URL('../../examples/recipes/sftp-3pl.yaml', import.meta.url).pathname;
  const env = {
    MANIFOLD_ADMIN_KEY: 'admin-key-000000000001',
    ERP_KEY: 'erp-key-0000000000001',
    THREEPL_KEY: 'threepl-key-00000000001',
    THREEPL_ISA_ID: '3PLWHSE',
    THREEPL_SFTP_HOST: 'sftp.3pl.example',
    THREEPL_SFTP_USER: 'manifold',
    THREEPL_SFTP_PRIVATE_KEY: KEY,
    THREEPL_SFTP_HOST_KEY: FINGERPRINT,
    ERP_ORDERS_URL: 'https://erp.example/hooks/orders',
    ERP_HOOK_SECRET: 'erp-hook-secret-000001',
  };

  it('passes check-config once its env vars are set', () => {
    const compiled = loadConfigFile(file, env);
    expect(compiled.systems.get('threepl')?.x12?.sftp).toMatchObject({
      inbox: '/in',
      outbox: '/out',
      acks: '/acks',
      afterProcessing: 'move',
      moveTo: '/archive',
    });
  });

  it('names an unset env var at its line', () => {
    const { THREEPL_SFTP_HOST_KEY: _, ...partial } = env;
    const text = readFileSync(file, 'utf8');
    const issues = issuesOf(text, partial);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.line).toBe(lineOf(text, 'hostKey: $' + '{THREEPL_SFTP_HOST_KEY}'));
    expect(issues[0]?.message).toContain("environment variable 'THREEPL_SFTP_HOST_KEY' is not set");
  });
});
