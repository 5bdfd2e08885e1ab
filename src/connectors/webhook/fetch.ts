/**
 * A route's `fetch` made on the network (docs/connectors.md#fetching-the-changed-record): one GET of the
 * URL `mapping.ts` checked to stay under the rule's `base`, with the rule's `auth` (an OAuth2 token is
 * fetched, cached and renewed on a 401 as for shaped calls), through the engine's HTTP client.
 */

import { excerptOf } from '../http/outbound.js';
import { call, type ShapedContext } from '../http/shaped-call.js';
import { FetchError, type Fetcher } from './mapping.js';

/** The fetcher the hub gives its webhook routes. */
export function apiFetcher(context: Pick<ShapedContext, 'client' | 'tokens'>): Fetcher {
  return async (rule, url) => {
    const answer = await call(
      context,
      { timeoutMs: rule.timeoutMs },
      rule.auth !== undefined ? { auth: rule.auth } : {},
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: 'application/json' },
      },
      {},
    );
    if (answer.status === undefined) throw new FetchError(answer.error ?? 'no answer');
    if (answer.status < 200 || answer.status > 299) {
      const excerpt = excerptOf(answer.body ?? '');
      throw new FetchError(`HTTP ${answer.status}${excerpt ? `: ${excerpt}` : ''}`);
    }
    if (answer.complete === false)
      throw new FetchError(`HTTP ${answer.status}: the answer is longer than 1 MiB`);
    try {
      return JSON.parse(answer.body ?? '') as unknown;
    } catch {
      throw new FetchError(`HTTP ${answer.status}: the answer is not JSON`);
    }
  };
}
