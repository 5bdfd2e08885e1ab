/**
 * Bearer-key authentication. Keys are compared by their SHA-256 digest, the only form the compiled
 * configuration keeps; a lookup by digest leaks nothing useful through timing.
 */
import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { CompiledConfig } from '../config/compiled-config.js';
import { AuthenticationError, ForbiddenError } from '../errors.js';
import { Reader } from './read-access.js';

/** Who called. `keyId` (the first 12 hex digits of the key's SHA-256) tells keys of one principal apart in the audit log. */
export type Principal = ({ kind: 'system'; name: string } | { kind: 'admin' }) & { keyId: string };

/** Who a key belongs to. */
export class Authenticator {
  private readonly byDigest = new Map<string, Principal>();

  constructor(private readonly config: CompiledConfig) {
    const adminDigest = config.server.adminKeyHash.toString('hex');
    this.byDigest.set(adminDigest, { kind: 'admin', keyId: adminDigest.slice(0, 12) });
    for (const system of config.systems.values()) {
      for (const hash of system.keyHashes) {
        const digest = hash.toString('hex');
        this.byDigest.set(digest, { kind: 'system', name: system.name, keyId: digest.slice(0, 12) });
      }
    }
  }

  /** The principal of the request's `Authorization: Bearer` key; 401 when missing or unknown. */
  authenticate(request: FastifyRequest): Principal {
    const header = request.headers.authorization;
    if (!header) throw new AuthenticationError('send the key as `Authorization: Bearer <key>`');
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw new AuthenticationError('the Authorization header must be `Bearer <key>`');
    const principal = this.byDigest.get(
      createHash('sha256')
        .update(match[1] as string)
        .digest('hex'),
    );
    if (!principal) throw new AuthenticationError('the key is not known to this hub');
    return principal;
  }

  /**
   * What the request's key may read: everything for the admin key, the system's read scope for a
   * system's key (docs/security.md); 401 when the key is missing or unknown.
   */
  reader(request: FastifyRequest): Reader {
    const principal = this.authenticate(request);
    if (principal.kind === 'admin') return Reader.admin();
    const system = this.config.systems.get(principal.name);
    if (!system) throw new AuthenticationError('the key is not known to this hub');
    return Reader.system(system.name, system.read);
  }

  /**
   * For `GET /metrics`: passes the metrics key (`server.metricsKey`, when set) or the admin key; 401
   * without a key, 403 with any other. The metrics key opens nothing else.
   */
  requireMetricsReader(request: FastifyRequest, metricsKeyHash: Buffer | undefined): void {
    const header = request.headers.authorization;
    const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new AuthenticationError('send the metrics key as `Authorization: Bearer <key>`');
    const digest = createHash('sha256')
      .update(match[1] as string)
      .digest();
    if (metricsKeyHash?.equals(digest)) return;
    if (this.byDigest.get(digest.toString('hex'))?.kind === 'admin') return;
    throw new ForbiddenError(
      'forbidden',
      'GET /metrics needs the metrics key (server.metricsKey) or the admin key',
    );
  }

  /** The calling system; 403 for the admin key, which asserts no facts of its own. */
  requireSystem(request: FastifyRequest): string {
    const principal = this.authenticate(request);
    if (principal.kind !== 'system') {
      throw new ForbiddenError('forbidden', "the admin key cannot assert facts; use the owning system's key");
    }
    return principal.name;
  }

  /** Passes only the admin key; returns how the audit log names the caller (`admin:<keyId>`). */
  requireAdmin(request: FastifyRequest): string {
    const principal = this.authenticate(request);
    if (principal.kind !== 'admin') throw new ForbiddenError('forbidden', 'this route needs the admin key');
    return `admin:${principal.keyId}`;
  }
}
