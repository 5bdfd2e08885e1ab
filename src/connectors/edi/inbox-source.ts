/**
 * The `edi` kind's sources: a partner's watched `x12.inbox` folder (docs/edi.md), picked up by the folder
 * transport (`transport/folder.ts`); each file is X12 received from the partner through the kind's inbound
 * role, its answer (TA1, 997/999) kept beside it in `processed/` as `<name>.ack.x12`. X12 only rides the
 * folder here: another format would hand `pickUp` its own `take`.
 */
import type { ConnectorContext, SourceConnector } from '../connector-port.js';
import { pickUp } from '../transport/folder.js';

/** One source per partner with an `x12.inbox` folder, named `edi:<partner>`. */
export function ediInboxSources(context: ConnectorContext): SourceConnector[] {
  return [...context.config.systems.values()].flatMap((system) => {
    const inbox = system.x12?.inbox;
    if (!inbox) return [];
    const name = `edi:${system.name}`;
    const state = context.state(name);
    const source: SourceConnector = {
      name,
      system: system.name,
      pull: (hub) =>
        pickUp(
          {
            dir: inbox,
            state,
            key: 'inbox-files',
            from: system.name,
            replySuffix: '.ack.x12',
            now: context.now,
          },
          async (body) => (await hub.receive({ caller: system.name, body, headers: {} })).body,
        ),
    };
    return [source];
  });
}
