/**
 * The layer rules of docs/architecture.md are enforced by Biome (`noRestrictedImports` overrides in
 * biome.json, run by `npm run lint`). This suite proves the rules fire: it copies the repository's own
 * biome.json into a scratch folder laid out like `src/`, writes one small file per import to judge, runs
 * the installed Biome on them, and checks which files it refuses. Nothing is written into the worktree.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const BIOME = join(ROOT, 'node_modules', '.bin', 'biome');

interface Probe {
  /** Where the importing file sits, relative to the project root. */
  file: string;
  /** The module specifier it imports. */
  from: string;
  /** For a forbidden import: the start of the message Biome must give. */
  refused?: string;
}

const FORBIDDEN: Probe[] = [
  // The domain is the bottom layer.
  {
    file: 'src/domain/delivery/p.ts',
    from: '../../config/compiled-config.js',
    refused: 'src/domain must not import config/',
  },
  {
    file: 'src/domain/p.ts',
    from: '../config/load-config.js',
    refused: 'src/domain must not import config/',
  },
  {
    file: 'src/domain/inventory/p.ts',
    from: '../../contracts/common-schemas.js',
    refused: 'src/domain must not import contracts/',
  },
  {
    file: 'src/domain/orders/p.ts',
    from: '../../store/store.js',
    refused: 'src/domain must not import store/',
  },
  {
    file: 'src/domain/alerts/p.ts',
    from: '../../engine/hub.js',
    refused: 'src/domain must not import engine/',
  },
  {
    file: 'src/domain/p2.ts',
    from: '../connectors/http/outbound.js',
    refused: 'src/domain must not import connectors/',
  },
  { file: 'src/domain/orders/p2.ts', from: '../../api/app.js', refused: 'src/domain must not import api/' },
  { file: 'src/domain/p3.ts', from: '../cli/main.js', refused: 'src/domain must not import cli/' },
  { file: 'src/domain/p4.ts', from: '../main/hub.js', refused: 'src/domain must not import main/' },
  { file: 'src/domain/p5.ts', from: 'node:fs', refused: 'src/domain is pure, without I/O' },
  { file: 'src/domain/p6.ts', from: 'node:fs/promises', refused: 'src/domain is pure, without I/O' },
  { file: 'src/domain/p7.ts', from: 'undici', refused: 'src/domain is pure, without I/O' },
  { file: 'src/domain/p8.ts', from: 'pg', refused: 'src/domain is pure, without I/O' },
  // Connectors translate; they never reach into the engine, the HTTP layer or the store.
  {
    file: 'src/connectors/http/p.ts',
    from: '../../engine/delivery/delivery-engine.js',
    refused: 'src/connectors must not import engine/',
  },
  {
    file: 'src/connectors/edi/mappings/p.ts',
    from: '../../../engine/inbound/inbound-service.js',
    refused: 'src/connectors must not import engine/',
  },
  {
    file: 'src/connectors/http/p2.ts',
    from: '../../api/app.js',
    refused: 'src/connectors must not import api/',
  },
  {
    file: 'src/connectors/edi/p.ts',
    from: '../../store/store.js',
    refused: 'src/connectors must not import store/',
  },
  {
    file: 'src/connectors/edi/x12/p.ts',
    from: '../../../store/sqlite/sqlite-store.js',
    refused: 'src/connectors must not import store/',
  },
  // Files at the top of src/connectors (the port, the registry) are held to the same rule.
  {
    file: 'src/connectors/registry.ts',
    from: '../engine/delivery/delivery-engine.js',
    refused: 'src/connectors must not import engine/',
  },
  {
    file: 'src/connectors/connector-port.ts',
    from: '../store/store-port.js',
    refused: 'src/connectors must not import store/',
  },
  { file: 'src/connectors/p.ts', from: '../api/app.js', refused: 'src/connectors must not import api/' },
  {
    file: 'src/connectors/p2.ts',
    from: '../main/compose.js',
    refused: 'src/connectors must not import main/',
  },
  // The engine never imports the HTTP layer.
  { file: 'src/engine/p.ts', from: '../api/app.js', refused: 'src/engine must not import api/' },
  {
    file: 'src/engine/delivery/p.ts',
    from: '../../api/api-context.js',
    refused: 'src/engine must not import api/',
  },
  { file: 'src/engine/orders/p.ts', from: '../../cli/main.js', refused: 'src/engine must not import cli/' },
];

/** Imports the rules must leave alone, so a rule written too wide fails here too. */
const ALLOWED: Probe[] = [
  { file: 'src/domain/delivery/a.ts', from: './circuit-breaker.js' },
  { file: 'src/domain/orders/a.ts', from: '../event-catalogue.js' },
  { file: 'src/domain/inventory/a.ts', from: '../delivery/retry-policy.js' },
  { file: 'src/connectors/http/a.ts', from: '../../domain/cloud-event.js' },
  { file: 'src/connectors/http/a2.ts', from: '../../config/compiled-config.js' },
  { file: 'src/connectors/edi/mappings/a.ts', from: '../../../contracts/order-schemas.js' },
  { file: 'src/connectors/edi/mappings/a2.ts', from: '../x12/index.js' },
  { file: 'src/connectors/http/a3.ts', from: 'undici' },
  { file: 'src/connectors/a.ts', from: '../domain/delivery/retry-policy.js' },
  { file: 'src/connectors/a2.ts', from: './http/outbound.js' },
  { file: 'src/connectors/a3.ts', from: '../config/compiled-config.js' },
  { file: 'src/engine/a.ts', from: '../store/store.js' },
  { file: 'src/engine/delivery/a.ts', from: '../../connectors/http/outbound.js' },
  { file: 'src/engine/orders/a.ts', from: '../../domain/orders/lifecycle.js' },
  { file: 'src/api/a.ts', from: '../engine/ingest-service.js' },
  { file: 'src/config/a.ts', from: '../domain/delivery/retry-policy.js' },
  { file: 'src/contracts/a.ts', from: '../domain/inventory/reason-codes.js' },
];

interface BiomeDiagnostic {
  category: string;
  message: string;
  location: { path: string };
}

let scratch: string;
let refusals: Map<string, string[]>;

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'manifold-layers-'));
  // The repository's own configuration; only version control is switched off (the scratch folder is no repo).
  const config = JSON.parse(readFileSync(join(ROOT, 'biome.json'), 'utf8')) as { vcs?: { enabled: boolean } };
  config.vcs = { enabled: false };
  writeFileSync(join(scratch, 'biome.json'), JSON.stringify(config));
  for (const probe of [...FORBIDDEN, ...ALLOWED]) {
    const path = join(scratch, probe.file);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, `import type { Probe } from '${probe.from}';\n\nexport type Seen = Probe;\n`);
  }
  const run = spawnSync(BIOME, ['lint', '--reporter=json', '--max-diagnostics=none', 'src'], {
    cwd: scratch,
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(run.error).toBeUndefined();
  // Some imports are refused: Biome must say so with its exit code, as `npm run lint` relies on it.
  expect(run.status).toBe(1);
  const report = JSON.parse(run.stdout) as { diagnostics: BiomeDiagnostic[] };
  refusals = new Map();
  for (const diagnostic of report.diagnostics) {
    if (diagnostic.category !== 'lint/style/noRestrictedImports') continue;
    const file = diagnostic.location.path.replaceAll('\\', '/');
    refusals.set(file, [...(refusals.get(file) ?? []), diagnostic.message]);
  }
}, 90_000);

afterAll(() => {
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe('layer rules (biome.json noRestrictedImports)', () => {
  it.each(FORBIDDEN)('$file importing $from fails lint', ({ file, refused }) => {
    const messages = refusals.get(file) ?? [];
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain(refused);
    expect(messages[0]).toContain('docs/architecture.md#layer-rules');
  });

  it.each(ALLOWED)('$file importing $from passes', ({ file }) => {
    expect(refusals.get(file)).toBeUndefined();
  });
});
