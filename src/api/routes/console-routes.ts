/**
 * The web console (`web/`, built by `npm run build` into `dist/web`): its hashed assets under `/assets/`
 * and `index.html` for each of its client-side paths. Only those paths are claimed, so the API (`/v1/*`),
 * `/metrics`, `/healthz`, `/readyz` and `/openapi.json` are never shadowed. A hub without a built console
 * still starts; its console paths answer a problem saying how to build it.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ManifoldError } from '../../errors.js';

/**
 * `dist/web` of the repository: this file sits three levels below the root both as source
 * (`src/api/routes/`) and compiled (`dist/api/routes/`).
 */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../dist/web/', import.meta.url));

/** The console's client-side paths; each answers `index.html` and the console's router takes over. */
export const CONSOLE_PATHS = [
  '/',
  '/orders',
  '/orders/*',
  '/inventory',
  '/inventory/*',
  '/exceptions',
  '/replay',
  '/mapping-preview',
  '/cluster',
  '/xref',
  '/xref/*',
] as const;

/**
 * Everything the console loads comes from the hub itself; the API is called on the same origin. No CDN,
 * no font service, no inline script.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Registers the console's routes, serving the build at `webRoot` (default `dist/web`). */
export function registerConsoleRoutes(app: FastifyInstance, webRoot: string = DEFAULT_WEB_ROOT): void {
  const built = existsSync(`${webRoot}/index.html`);
  if (built) {
    void app.register(fastifyStatic, {
      root: `${webRoot}/assets`,
      prefix: '/assets/',
      decorateReply: true,
      index: false,
      list: false,
      // Vite names assets by their content hash: a file at a name never changes.
      immutable: true,
      maxAge: '365d',
    });
  }
  const sendIndex = (reply: FastifyReply) => {
    if (!built) {
      throw new ManifoldError(
        'console-not-built',
        503,
        'Console not built',
        `the web console is not built (no ${webRoot}/index.html); run \`npm run build\` in the repository and restart the hub. The API under /v1 works without it`,
      );
    }
    return (
      reply
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        // The asset options (a year, immutable) would otherwise replace `no-cache`: index.html names the
        // current build's assets, so a browser must ask again after an upgrade.
        .sendFile('index.html', webRoot, { cacheControl: false })
    );
  };
  for (const path of CONSOLE_PATHS) {
    app.get(path, { schema: { hide: true } }, async (_request, reply) => sendIndex(reply));
  }
}
