/**
 * Loads `manifold.yaml` (README: configuration): parses it with line numbers, interpolates `${VAR}` from the
 * environment, validates every section and compiles it into a `CompiledConfig`. Every issue is collected
 * before throwing, so one run of `check-config` shows everything to fix.
 */

import { readFileSync } from 'node:fs';
import { readRemitTo, readX12 } from '../connectors/edi/config-section.js';
import { defaultOwners } from '../domain/ownership.js';
import { checkOwnershipScopes } from './check-ownership.js';
import { compileAlerts, compileTracing } from './compile-operations.js';
import { compileOrders } from './compile-orders.js';
import { compileRetention } from './compile-retention.js';
import {
  compileChannels,
  compileLocations,
  compileOwnership,
  compileServer,
  compileStatusMaps,
  compileStore,
  compileSystems,
  declaredNames,
  KeyRegistry,
} from './compile-sections.js';
import { compileSubscriptions } from './compile-subscriptions.js';
import { checkPartnerUnits, compileUnits } from './compile-units.js';
import { checkPartnerItems, checkXrefCalls, compileXref } from './compile-xref.js';
import type { CompiledConfig } from './compiled-config.js';
import { ConfigError, type ConfigIssue } from './config-error.js';
import { ConfigValue } from './config-reader.js';
import { interpolateDocument, parseYamlSource, reportDuplicateKeys } from './yaml-source.js';

export { ConfigError, type ConfigIssue, formatIssue } from './config-error.js';

/** Top-level keys of the configuration, in the order the documentation presents them. */
export const TOP_LEVEL_KEYS = [
  'store',
  'server',
  'systems',
  'locations',
  'channels',
  'ownership',
  'statusMaps',
  'subscriptions',
  'orders',
  'units',
  'edi',
  'tracing',
  'alerts',
  'xref',
  'retention',
] as const;

/** Reads and compiles a configuration file; throws `ConfigError` listing every issue. */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv = process.env): CompiledConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    const issue: ConfigIssue = {
      file: path,
      line: 1,
      column: 1,
      path: '',
      message: `cannot read file: ${reason}`,
    };
    throw new ConfigError([issue], { cause: error });
  }
  return compileConfig(text, path, env);
}

/** Compiles configuration text; `file` names it in issues. Throws `ConfigError` listing every issue. */
export function compileConfig(
  text: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): CompiledConfig {
  const source = parseYamlSource(text, file);
  // After a syntax error the tree is a guess; validating it would bury the real problem in noise.
  if (source.issues.length > 0) throw new ConfigError(source.issues);
  reportDuplicateKeys(source, source.doc.contents);
  interpolateDocument(source, env);

  const rootValue = new ConfigValue(source, source.doc.contents, '');
  if (rootValue.isNull) {
    rootValue.report(
      `the configuration is empty; expected a mapping with keys: ${TOP_LEVEL_KEYS.join(', ')}`,
    );
    throw new ConfigError(source.issues);
  }
  const root = rootValue.map();
  if (root === undefined) throw new ConfigError(source.issues);
  root.allowOnly(TOP_LEVEL_KEYS);

  const section = (key: (typeof TOP_LEVEL_KEYS)[number]) => root.get(key)?.map();
  const systemsMap = section('systems');
  const locationsMap = section('locations');
  const channelsMap = section('channels');
  const declared = declaredNames(systemsMap, locationsMap, channelsMap);

  const keys = new KeyRegistry();
  const store = compileStore(root.get('store'));
  const server = compileServer(root.require('server'), keys);
  const channels = compileChannels(channelsMap);
  const locations = compileLocations(locationsMap, declared);
  const systems = compileSystems(systemsMap, declared, keys);
  const ownershipMap = section('ownership');
  const ownership = defaultOwners(compileOwnership(ownershipMap, declared), [...systems.values()]);
  checkOwnershipScopes(ownershipMap, systems);
  const statusMaps = compileStatusMaps(section('statusMaps'), declared);
  const subscriptions = compileSubscriptions(root.get('subscriptions'), declared, systems);
  const orders = compileOrders(root.get('orders'), declared);
  const units = compileUnits(root.get('units'));
  checkPartnerUnits(systemsMap, systems, units);
  const ediMap = section('edi');
  ediMap?.allowOnly(['x12', 'remitTo']);
  const hubX12 = readX12(ediMap?.require('x12'));
  const remitTo = readRemitTo(ediMap?.get('remitTo'));
  const tracing = compileTracing(root.get('tracing'));
  const alerts = compileAlerts(
    root.get('alerts'),
    declared,
    subscriptions.map((s) => s.name),
  );
  const xref = compileXref(root.get('xref'));
  const retention = compileRetention(root.get('retention'));
  checkXrefCalls(source, text, xref);
  checkPartnerItems(systemsMap, systems, xref);

  if (source.issues.length > 0 || server === undefined) {
    throw new ConfigError(sortByPosition(source.issues), { warnings: sortByPosition(source.warnings) });
  }
  return {
    file,
    store,
    server,
    systems,
    locations,
    channels,
    ownership,
    statusMaps,
    subscriptions,
    orders,
    units,
    tracing,
    alerts,
    xref,
    retention,
    warnings: sortByPosition(source.warnings),
    ...(hubX12
      ? { edi: { x12: { id: hubX12.id, qualifier: hubX12.qualifier }, ...(remitTo ? { remitTo } : {}) } }
      : {}),
  };
}

function sortByPosition(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}
