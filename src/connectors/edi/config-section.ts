/**
 * The `edi` kind's part of a system: `systems.<name>.x12`, a trading partner's X12 identity and options
 * (also the hub's own `edi: { x12 }`). Its messages are those of `check-config`.
 */

import { compileUnitCodeMap } from '../../config/compile-units.js';
import type { CompiledSystem, X12PartnerDelimiters } from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';
import { readSftp } from './sftp-config.js';
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
    'items',
    'units',
    'ackWithinMinutes',
    'inbox',
    'delimiters',
    'sftp',
  ]);
  const id = map.require('id')?.matching(/^[^*~\n]{1,15}$/, 'X12 interchange id', 'use 1 to 15 characters');
  const qualifier = map
    .require('qualifier')
    ?.matching(/^[A-Za-z0-9]{2}$/, 'X12 id qualifier', 'use 2 letters or digits (ZZ, 01, 12, …)');
  const version = map.get('version')?.matching(/^\d{5}$/, 'X12 version', 'use 5 digits (00401)');
  if (id === undefined || qualifier === undefined) return undefined;
  const x12: NonNullable<CompiledSystem['x12']> = { id, qualifier };
  if (version !== undefined) x12.version = version;
  // The partner's item ids → SKUs: a cross-reference table (docs/edi.md#item-ids), `itemMap` its seed.
  const items = map.get('items')?.string();
  if (items !== undefined) x12.items = items;
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
  // The partner's SFTP server (docs/recipes/sftp-3pl.md).
  const sftp = readSftp(map.get('sftp'));
  if (sftp !== undefined) x12.sftp = sftp;
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

/** The hub's remit-to party (`edi: {remitTo}`), written as N1*RE in the 810s it sends. */
export interface RemitTo {
  name: string;
  /** N104, with `idQualifier` as N103 (default `91`, assigned by the seller). */
  id?: string;
  idQualifier?: string;
  line1?: string;
  line2?: string;
  city?: string;
  region?: string;
  postalCode?: string;
  country?: string;
}

/** X12 text of the remit-to: no delimiter the hub writes with, no line break, at most `max` characters. */
const x12Text = (max: number) => new RegExp(`^[^*~>^\\n\\r|]{1,${max}}$`);

/** Each `remitTo` key: its pattern and the rule its message gives (X12 element sizes of N1, N3, N4). */
const REMIT_TO_FIELDS: Record<keyof RemitTo, [RegExp, string]> = {
  name: [x12Text(60), 'use 1 to 60 characters without * ~ > ^ | or a line break (N102)'],
  id: [x12Text(80), 'use 1 to 80 characters without * ~ > ^ | or a line break (N104)'],
  idQualifier: [/^[A-Za-z0-9]{1,2}$/, 'use 1 or 2 letters or digits (N103: 91, 92, 1, 9, …)'],
  line1: [x12Text(55), 'use 1 to 55 characters without * ~ > ^ | or a line break (N301)'],
  line2: [x12Text(55), 'use 1 to 55 characters without * ~ > ^ | or a line break (N302)'],
  city: [x12Text(30), 'use 1 to 30 characters without * ~ > ^ | or a line break (N401)'],
  region: [/^[A-Z]{2}$/, 'use a 2-letter state or province code (N402)'],
  postalCode: [/^[A-Za-z0-9 -]{3,15}$/, 'use 3 to 15 letters, digits, spaces or dashes (N403)'],
  country: [/^[A-Z]{2}$/, 'use an ISO 3166-1 alpha-2 code, e.g. US (N404)'],
};

/**
 * `edi: { remitTo: { name, id?, idQualifier?, line1?, line2?, city?, region?, postalCode?, country? } }`:
 * where the hub's invoices ask to be paid. An address, when given, needs `line1`, `city` and `postalCode`.
 */
export function readRemitTo(value: ConfigValue | undefined): RemitTo | undefined {
  const map = value?.map();
  if (map === undefined) return undefined;
  const keys = Object.keys(REMIT_TO_FIELDS) as (keyof RemitTo)[];
  map.allowOnly(keys);
  const name = map
    .require('name')
    ?.matching(REMIT_TO_FIELDS.name[0], 'remit-to name', REMIT_TO_FIELDS.name[1]);
  const remitTo: Partial<RemitTo> = {};
  let bad = name === undefined;
  for (const key of keys) {
    const item = key === 'name' ? undefined : map.get(key);
    if (item === undefined) continue;
    const [pattern, rule] = REMIT_TO_FIELDS[key];
    const text = item.matching(pattern, `remit-to ${key}`, rule);
    if (text === undefined) bad = true;
    else remitTo[key] = text;
  }
  const address = ['line1', 'line2', 'city', 'region', 'postalCode', 'country'] as const;
  if (address.some((key) => remitTo[key] !== undefined)) {
    const missing = (['line1', 'city', 'postalCode'] as const).filter((key) => !map.has(key));
    if (missing.length > 0) {
      map.report(`a remit-to address needs ${missing.join(', ')} too (N3 and N4 are written together)`);
      bad = true;
    }
  }
  if (bad || name === undefined) return undefined;
  return { ...remitTo, name };
}
