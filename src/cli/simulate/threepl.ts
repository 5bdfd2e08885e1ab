/**
 * The 3PL played natively (docs/simulator.md): for a partner with `x12.sftp`, the simulator is the 3PL's
 * SFTP server (sftp-server.ts, ssh2's `Server`) on the configured host and port, with the host key and
 * the client key of its key folder (`--sftp-keys`, made on first use). It serves a temporary tree holding
 * the configured `inbox`, `outbox`, `acks` and `moveTo` folders, and works them as a 3PL's translator does:
 *
 * - every 940 the hub uploads into the inbox is taken (the file removed), answered with a 997 in the
 *   outbox, and 0.3–1.5 s later with a 945 (W06 the order, W12 per line shipped, W27 a carrier, N9*CN a
 *   tracking number);
 * - an 846 with the on-hand of every SKU (QTY*17) at the start and then every 5 s, once the hub has taken
 *   every 945 (so a count never races a shipment it already holds);
 * - the hub's 997s in the acks folder are read, counted (accepted, rejected) and removed.
 *
 * Its files are written under a dot-name and renamed, as a careful translator does.
 */
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, normalize, posix } from 'node:path';
import ssh2 from 'ssh2';
import type { X12Sftp } from '../../config/compiled-config.js';
import {
  acknowledge,
  formatInterchange,
  MemoryControlNumbers,
  parseX12,
  type SegmentInput,
  validateX12,
  valueAt,
  writeInterchange,
} from '../../connectors/edi/x12/index.js';
import { type FakeSftpServer, fingerprintOf, generateKey, startFakeSftp } from './sftp-server.js';
import type { SimConfig } from './sim-config.js';
import type { SimContext } from './sim-context.js';

/** The default key folder of the simulated 3PLs. */
export const SIM_SFTP_KEYS = 'data/sim-sftp';
const CARRIERS = ['UPSN', 'FDEG', 'ODFL'];
const INVENTORY_EVERY_MS = 5000;

export interface SimSftpKeys {
  host: { private: string; public: string };
  client: { private: string; public: string };
}

/** The host and client key pairs of `dir`, made (ed25519, OpenSSH form) when missing. */
export function simSftpKeys(dir: string): SimSftpKeys {
  mkdirSync(dir, { recursive: true });
  const pair = (name: string) => {
    const file = join(dir, name);
    if (!existsSync(file) || !existsSync(`${file}.pub`)) {
      const made = generateKey();
      writeFileSync(file, made.private, { mode: 0o600 });
      writeFileSync(`${file}.pub`, `${made.public}\n`);
    }
    return { private: readFileSync(file, 'utf8'), public: readFileSync(`${file}.pub`, 'utf8').trim() };
  };
  return { host: pair('host_ed25519'), client: pair('client_ed25519') };
}

/** The settings of the sftp-3pl recipe that point the hub at the simulated 3PL (`export` lines). */
export function sftpRecipeEnv(dir: string, port: number): Record<string, string> {
  const keys = simSftpKeys(dir);
  return {
    THREEPL_SFTP_HOST: '127.0.0.1',
    THREEPL_SFTP_PORT: String(port),
    THREEPL_SFTP_USER: 'threepl',
    THREEPL_SFTP_PRIVATE_KEY: keys.client.private.trim().replace(/\n/g, '\\n'),
    THREEPL_SFTP_HOST_KEY: fingerprintOf(keys.host.public),
    THREEPL_SFTP_POLL_SECONDS: '2',
  };
}

export interface ThreePlCounters {
  /** 940 sets taken from the inbox, and the orders they named. */
  ordersReceived: number;
  acknowledgementsSent: number;
  shipmentsSent: number;
  inventoryAdvices: number;
  /** The hub's 997s read from the acks folder: sets accepted and rejected. */
  hubAcks: { files: number; accepted: number; rejected: number };
}

export interface ThreePlOptions {
  name: string;
  sftp: X12Sftp;
  x12: { id: string; qualifier: string; version: string };
  hub: { id: string; qualifier: string };
  keysDir: string;
  /** What it holds at the start: SKU → units. */
  stock: Map<string, number>;
  between: (low: number, high: number) => number;
  pick: <T>(items: readonly T[]) => T;
  /** Only this run's orders are shipped (a hub with history may upload older 940s). */
  tag: string;
}

/** Why the configuration does not let the hub reach the simulated 3PL, with what to set. */
export class ThreePlSetupError extends Error {}

export class ThreePl {
  readonly counters: ThreePlCounters = {
    ordersReceived: 0,
    acknowledgementsSent: 0,
    shipmentsSent: 0,
    inventoryAdvices: 0,
    hubAcks: { files: 0, accepted: 0, rejected: 0 },
  };
  private timer: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private control = (Math.floor(Date.now() / 1000) % 90_000_000) * 10;
  private readonly ackNumbers = new MemoryControlNumbers(
    800_000_000 + (Math.floor(Date.now() / 1000) % 9_000_000) * 10,
  );
  private lastInventory = 0;
  private fileNumber = 0;
  private inFlight = 0;

  private constructor(
    private readonly options: ThreePlOptions,
    private readonly server: FakeSftpServer,
  ) {}

  static async start(options: ThreePlOptions): Promise<ThreePl> {
    const { sftp } = options;
    const keys = simSftpKeys(options.keysDir);
    const fingerprint = fingerprintOf(keys.host.public);
    if (sftp.hostKey !== fingerprint)
      throw new ThreePlSetupError(
        `${options.name}: the hub pins the 3PL's host key ${sftp.hostKey}, but the simulated 3PL's is ${fingerprint} ` +
          `(${join(options.keysDir, 'host_ed25519')}). Set the configuration's x12.sftp from ` +
          `\`bin/manifold simulate --sftp-env\` (the sftp-3pl recipe's THREEPL_SFTP_* variables) and restart the hub.`,
      );
    const key = sftp.privateKey ?? (sftp.privateKeyFile ? readFileSync(sftp.privateKeyFile, 'utf8') : '');
    const parsed = ssh2.utils.parseKey(key, sftp.passphrase);
    if (parsed instanceof Error)
      throw new ThreePlSetupError(
        `${options.name}: x12.sftp's private key cannot be read: ${parsed.message}`,
      );
    const root = await mkdtemp(join(tmpdir(), 'manifold-sim-3pl-'));
    for (const folder of [sftp.inbox, sftp.outbox, sftp.acks, sftp.moveTo])
      if (folder) mkdirSync(join(root, normalize(posix.join('/', folder))), { recursive: true });
    const server = await startFakeSftp({
      username: sftp.username,
      authorizedKey: `${parsed.type} ${parsed.getPublicSSH().toString('base64')}`,
      hostKey: keys.host.private,
      root,
      port: sftp.port,
      host: sftp.host,
    });
    return new ThreePl(options, server);
  }

  /** Where it listens, `host:port`. */
  get address(): string {
    return `${this.options.sftp.host}:${this.server.port}`;
  }

  /** Writes the first 846 and starts watching the inbox and the acks folder. */
  begin(): void {
    this.writeInventory();
    this.timer = setInterval(() => this.look(), 250);
    this.timer.unref();
  }

  /** Whether every 945 was written and taken by the hub. */
  idle(): boolean {
    return this.inFlight === 0 && this.pending('945').length === 0;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const t of this.timers) clearTimeout(t);
    await this.server.close();
    await rm(this.server.root, { recursive: true, force: true });
  }

  private folder(path: string | undefined): string | undefined {
    return path === undefined ? undefined : join(this.server.root, normalize(posix.join('/', path)));
  }

  /** The files of the outbox the hub has not taken yet, of one kind. */
  private pending(kind: string): string[] {
    const outbox = this.folder(this.options.sftp.outbox);
    if (!outbox || !existsSync(outbox)) return [];
    return readdirSync(outbox).filter((n) => n.includes(`-${kind}-`));
  }

  private look(): void {
    const { sftp } = this.options;
    for (const [folder, take] of [
      [this.folder(sftp.inbox), (text: string) => this.takeOrder(text)],
      [this.folder(sftp.acks), (text: string) => this.takeAck(text)],
    ] as const) {
      if (!folder || !existsSync(folder)) continue;
      for (const name of readdirSync(folder)) {
        if (name.startsWith('.')) continue;
        const path = join(folder, name);
        try {
          // Written by rename (or, `upload: direct`, left alone for half a second).
          if (Date.now() - statSync(path).mtimeMs < 500 && sftp.upload === 'direct') continue;
          const text = readFileSync(path, 'utf8');
          unlinkSync(path);
          take(text);
        } catch {
          // Gone in between, or not readable yet: the next look.
        }
      }
    }
    if (Date.now() - this.lastInventory >= INVENTORY_EVERY_MS && this.idle()) this.writeInventory();
  }

  /** A 940 from the hub: a 997 now, a 945 shortly. */
  private takeOrder(text: string): void {
    const document = parseX12(text);
    const [reply] = acknowledge(document, validateX12(document));
    if (reply) {
      this.inFlight += 1;
      void writeInterchange(reply.reply, {
        controlNumbers: this.ackNumbers,
        partner: this.options.name,
        newline: true,
      })
        .then((ack) => {
          this.write('997', ack);
          this.counters.acknowledgementsSent += 1;
        })
        .finally(() => {
          this.inFlight -= 1;
        });
    }
    for (const interchange of document.interchanges)
      for (const group of interchange.groups)
        for (const set of group.sets) {
          if (valueAt(set.header, 1) !== '940') continue;
          const w05 = set.segments.find((s) => s.id === 'W05');
          const orderId = w05 ? valueAt(w05, 2) : '';
          const lines = set.segments
            .filter((s) => s.id === 'W01')
            .map((s) => ({ quantity: Number(valueAt(s, 1)), sku: valueAt(s, 5) }));
          this.counters.ordersReceived += 1;
          if (!orderId.includes(this.options.tag) || lines.length === 0) continue;
          this.inFlight += 1;
          const timer = setTimeout(
            () => {
              this.timers.delete(timer);
              this.inFlight -= 1;
              this.ship(orderId, lines);
            },
            this.options.between(300, 1500),
          );
          this.timers.add(timer);
        }
  }

  /** The 945 for an order: every line shipped, with a carrier and a tracking number. */
  private ship(orderId: string, lines: { quantity: number; sku: string }[]): void {
    const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const tracking = `1Z${this.options.tag}${String(this.between(10_000_000, 99_999_999))}`;
    const segments: SegmentInput[] = [
      { id: 'W06', elements: ['N', orderId, date, `SHP-${orderId}`] },
      { id: 'N9', elements: ['CN', tracking] },
      ...lines.flatMap((line, index): SegmentInput[] => [
        { id: 'LX', elements: [String(index + 1)] },
        {
          id: 'W12',
          elements: ['CC', String(line.quantity), String(line.quantity), '0', 'EA', '', 'VN', line.sku],
        },
      ]),
      { id: 'W03', elements: [String(lines.reduce((t, l) => t + l.quantity, 0)), '10', 'LB'] },
      { id: 'W27', elements: ['M', this.options.pick(CARRIERS)] },
    ];
    for (const line of lines)
      this.options.stock.set(line.sku, Math.max(0, (this.options.stock.get(line.sku) ?? 0) - line.quantity));
    this.write('945', this.interchange('SW', '945', segments));
    this.counters.shipmentsSent += 1;
  }

  /** An 846 with the on-hand (QTY*17) of every SKU it holds. */
  private writeInventory(): void {
    this.lastInventory = Date.now();
    const date = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    const items = [...this.options.stock];
    const segments: SegmentInput[] = [
      { id: 'BIA', elements: ['00', 'SI', `INV-${this.options.tag}-${this.fileNumber + 1}`, date] },
      ...items.flatMap(([sku, onHand], index): SegmentInput[] => [
        { id: 'LIN', elements: [String(index + 1), 'VN', sku] },
        { id: 'QTY', elements: ['17', String(onHand), 'EA'] },
      ]),
      { id: 'CTT', elements: [String(items.length)] },
    ];
    this.write('846', this.interchange('IB', '846', segments));
    this.counters.inventoryAdvices += 1;
  }

  /** The hub's 997 for a file it took: its sets' verdicts. */
  private takeAck(text: string): void {
    this.counters.hubAcks.files += 1;
    for (const interchange of parseX12(text).interchanges)
      for (const group of interchange.groups)
        for (const set of group.sets)
          for (const segment of set.segments) {
            if (segment.id !== 'AK5' && segment.id !== 'IK5') continue;
            if (['A', 'E'].includes(valueAt(segment, 1))) this.counters.hubAcks.accepted += 1;
            else this.counters.hubAcks.rejected += 1;
          }
  }

  private interchange(functionalId: string, setId: string, segments: SegmentInput[]): string {
    this.control = (this.control % 999_999_998) + 1;
    return formatInterchange(
      {
        sender: { qualifier: this.options.x12.qualifier, id: this.options.x12.id },
        receiver: this.options.hub,
        version: this.options.x12.version,
        controlNumber: this.control,
        groups: [
          {
            functionalId,
            version: '004010',
            controlNumber: this.control,
            sets: [{ id: setId, controlNumber: 1, segments }],
          },
        ],
      },
      { newline: true },
    );
  }

  /** Writes a file to the outbox under a dot-name, then renames it: numbered, so names sort in order. */
  private write(kind: string, text: string): void {
    const outbox = this.folder(this.options.sftp.outbox);
    if (!outbox) return;
    this.fileNumber += 1;
    const name = `${String(this.fileNumber).padStart(6, '0')}-${kind}-${this.options.tag}.x12`;
    writeFileSync(join(outbox, `.${name}.tmp`), text);
    renameSync(join(outbox, `.${name}.tmp`), join(outbox, name));
  }

  private between(low: number, high: number): number {
    return this.options.between(low, high);
  }
}

/** Starts a 3PL for each partner of `config` with `x12.sftp` (all or none), holding the run's SKUs. */
export async function startThreePls(
  config: SimConfig,
  sim: SimContext,
  onHandAt: (sku: { scarce: boolean }, locationIndex: number) => number,
  options: { keysDir: string; skus: readonly { sku: string; scarce: boolean }[] },
): Promise<Map<string, ThreePl>> {
  const started = new Map<string, ThreePl>();
  try {
    for (const system of config.systems.values()) {
      if (system.sftp === undefined || system.x12 === undefined || config.hubX12 === undefined) continue;
      const index = Math.max(
        0,
        config.locations.findIndex((l) => system.locations.includes(l.name)),
      );
      const threepl = await ThreePl.start({
        name: system.name,
        sftp: system.sftp,
        x12: system.x12,
        hub: config.hubX12,
        keysDir: options.keysDir,
        stock: new Map(options.skus.map((s) => [s.sku, onHandAt(s, index)])),
        between: (low, high) => sim.between(low, high),
        pick: (items) => sim.pick(items),
        tag: sim.tag,
      });
      started.set(system.name, threepl);
    }
  } catch (error) {
    for (const t of started.values()) await t.stop();
    throw error;
  }
  return started;
}
