/**
 * The `poll` connector kind: pulling from a system without webhooks (docs/connectors.md#polling). It owns
 * `systems.<name>.poll` (a list of pollers, `config-section.ts`) and opens one source per poller, named
 * `poll:<system>:<poller>`: pulled every `every` by one process at a time, its cursor and pending `next`
 * page kept in its connector state in the same transaction as the events it read (`poller.ts`).
 */

import { NotFoundError, ValidationError } from '../../errors.js';
import type { ConnectorContext, ConnectorKind, InboundEvent, SourceConnector } from '../connector-port.js';
import { DEFAULT_HTTP_TIMEOUT_MS } from '../http/config-section.js';
import { storeXref } from '../http/expressions.js';
import { OAUTH2_STATE_INSTANCE, OAuth2Tokens } from '../http/oauth2.js';
import { httpClient } from '../transport/http.js';
import { type CompiledPoll, readPollSection } from './config-section.js';
import { POLL_REJECTED, runPoll } from './poller.js';

export const pollConnector: ConnectorKind = {
  kind: 'poll',
  // A poller is a system's section, never a subscription's (no `readSection`: `poll:` there is an
  // unknown key).
  systemSection: { key: 'poll', read: (value, { name }) => readPollSection(value, name) },
  openSources: (context) => pollSources(context),
  // No route receives for it; the inbound role only applies again what a poller had refused.
  openInbound: () => ({
    format: 'poll',
    receive: () => {
      throw new NotFoundError('pollers fetch; nothing is received for them');
    },
    replays: [POLL_REJECTED],
    async replay(exception, hub) {
      if (exception.system === undefined || exception.payload === undefined) {
        throw new ValidationError('the exception holds no event to apply again', []);
      }
      const event = JSON.parse(exception.payload) as InboundEvent;
      await hub.apply(exception.system, [event]);
    },
  }),
};

/** The pollers of the configuration as sources. */
export function pollSources(context: ConnectorContext): SourceConnector[] {
  const polls = [...context.config.systems.values()].flatMap(
    (system) => (system.sections?.poll as CompiledPoll[] | undefined) ?? [],
  );
  if (polls.length === 0) return [];
  const client = httpClient(context);
  // The same token cache as shaped calls: one token per client id, kept in the connector state.
  const tokens = context.shared(
    'http-oauth2',
    () =>
      new OAuth2Tokens(client, context.state(OAUTH2_STATE_INSTANCE), context.now, DEFAULT_HTTP_TIMEOUT_MS),
  );
  const xref = storeXref(context.config, context.stores);
  return polls.map((poll) => {
    const name = `poll:${poll.system}:${poll.name}`;
    const state = context.state(name);
    return {
      name,
      system: poll.system,
      everyMs: poll.everyMs,
      singleton: true,
      labels: { system: poll.system, poll: poll.name },
      pull: (hub) => runPoll({ client, tokens, state, ...(xref !== undefined ? { xref } : {}) }, poll, hub),
    };
  });
}
