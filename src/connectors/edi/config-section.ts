/**
 * The `edi` kind's part of a system: `systems.<name>.x12`, a trading partner's X12 identity and options
 * (also the hub's own `edi: { x12 }`). Its messages are those of `check-config`.
 */

import { compileUnitCodeMap } from '../../config/compile-units.js';
import type { CompiledSystem, X12PartnerDelimiters } from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';
import { DEFAULT_DELIMITERS, hasRepetitionSeparator, isDelimiterCharacter } from './x12/delimiters.js';

/** `x12: { id, qualifier, version? }`: the partner's interchange identity (ISA05/06, ISA12). */
export function readX12(value: ConfigValue | undefined): CompiledSystem['x12'] {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly([
    'id',
    'qualifier',
    'version',
    'itemMap',
    'units',
    'ackWithinMinutes',
    'inbox',
    'delimiters',
  ]);
  const id = map.require('id')?.matching(/^[^*~\n]{1,15}$/, 'X12 interchange id', 'use 1 to 15 characters');
  const qualifier = map
    .require('qualifier')
    ?.matching(/^[A-Za-z0-9]{2}$/, 'X12 id qualifier', 'use 2 letters or digits (ZZ, 01, 12, …)');
  const version = map.get('version')?.matching(/^\d{5}$/, 'X12 version', 'use 5 digits (00401)');
  if (id === undefined || qualifier === undefined) return undefined;
  const x12: NonNullable<CompiledSystem['x12']> = { id, qualifier };
  if (version !== undefined) x12.version = version;
  // The partner's item ids → SKUs, for its POs (PO1 item ids), before VN/SK/BP.
  const itemMap = map.get('itemMap')?.map();
  if (itemMap !== undefined) {
    x12.itemMap = {};
    for (const entry of itemMap.list()) {
      const sku = entry.value.string();
      if (sku !== undefined) x12.itemMap[entry.name] = sku;
    }
  }
  // The partner's unit codes → ours (PO103, and back in the 855/856/810).
  const units = compileUnitCodeMap(map.get('units'));
  if (units !== undefined) x12.units = units;
  // An outbound interchange without a 997/999 after this many minutes → an `edi_unacknowledged` exception.
  const ackWithinMinutes = map.get('ackWithinMinutes')?.int(1);
  if (ackWithinMinutes !== undefined) x12.ackWithinMinutes = ackWithinMinutes;
  // A watched inbound folder (SFTP-style drops from the partner).
  const inboxValue = map.get('inbox');
  const inbox = inboxValue?.string();
  if (inbox !== undefined) {
    if (inbox.trim() === '') inboxValue?.report('expected a folder path, got an empty string');
    else x12.inbox = inbox;
  }
  const delimiters = readX12Delimiters(map.get('delimiters'), version);
  if (delimiters !== undefined) x12.delimiters = delimiters;
  return x12;
}

const DELIMITER_NAMES = ['element', 'component', 'segment', 'repetition'] as const;

/** `delimiters: { element?, component?, segment?, repetition?, newline? }`: what the writer uses for a partner. */
function readX12Delimiters(
  value: ConfigValue | undefined,
  version: string | undefined,
): X12PartnerDelimiters | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  map.allowOnly([...DELIMITER_NAMES, 'newline']);
  const delimiters: X12PartnerDelimiters = {};
  const given: Array<[string, string, ConfigValue]> = [];
  for (const name of DELIMITER_NAMES) {
    const item = map.get(name);
    const char = item?.string();
    if (item === undefined || char === undefined) continue;
    if (!isDelimiterCharacter(char)) {
      item.report(
        `the ${name} delimiter ${JSON.stringify(char)} must be one character, not a letter, digit or space`,
      );
      continue;
    }
    if (name !== 'segment' && (char === '\n' || char === '\r')) {
      item.report(`only the segment terminator may be a line break, not the ${name} delimiter`);
      continue;
    }
    const same = given.find(([, other]) => other === char);
    if (same) {
      item.report(
        `the ${name} and ${same[0]} delimiters are both ${JSON.stringify(char)}; use different ones`,
      );
      continue;
    }
    given.push([name, char, item]);
    delimiters[name] = char;
  }
  // An override that clashes with a default left in place (e.g. component: '*') is refused too.
  const versionHasRepetition = version !== undefined && hasRepetitionSeparator(version);
  for (const [name, char, item] of given) {
    const clash = DELIMITER_NAMES.find(
      (other) =>
        other !== name &&
        delimiters[other] === undefined &&
        (other !== 'repetition' || versionHasRepetition) &&
        DEFAULT_DELIMITERS[other] === char,
    );
    if (clash) {
      item.report(
        `the ${name} delimiter ${JSON.stringify(char)} is the default ${clash} delimiter; set ${clash} to another character too`,
      );
    }
  }
  const newline = map.get('newline')?.boolean();
  if (newline !== undefined) delimiters.newline = newline;
  return delimiters;
}
