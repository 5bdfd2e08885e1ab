/**
 * Typed, issue-reporting access to YAML nodes. Each reader checks one shape, reports what is wrong at the
 * node (file:line:column, key path, the bad value, what would be valid) and returns `undefined` so the
 * compiler can keep going and report every issue in one pass.
 */
import { isAlias, isMap, isScalar, isSeq, type Node, type YAMLMap } from 'yaml';
import { parseDurationMs } from '../domain/duration.js';
import { didYouMean } from './did-you-mean.js';
import { addIssue, addWarning, childPath, indexPath, scalarText, type YamlSource } from './yaml-source.js';

/** A value of the configuration at a key path, possibly absent. */
export class ConfigValue {
  readonly node: Node | null;

  constructor(
    readonly source: YamlSource,
    node: unknown,
    readonly path: string,
    /** Where to point when the value itself has no position (an empty value): its key. */
    readonly anchor: Node | null = null,
  ) {
    this.node = resolveAlias(source, node);
  }

  /** Reports an issue at this value; quiet when its `${VAR}` already failed, as that issue says it all. */
  report(message: string, value?: unknown): void {
    if (this.node !== null && this.source.unresolved.has(this.node)) return;
    addIssue(this.source, this.node ?? this.anchor, this.path, message, value);
  }

  /** Reports a warning at this value: the configuration loads, `check-config` and the hub's start show it. */
  warn(message: string, value?: unknown): void {
    addWarning(this.source, this.node ?? this.anchor, this.path, message, value);
  }

  /** True for an empty value (`key:` or `key: null`). */
  get isNull(): boolean {
    return this.node === null || (isScalar(this.node) && this.node.value === null);
  }

  /** The scalar value, for messages and `ConfigIssue.value`; undefined for collections. */
  get scalar(): unknown {
    return isScalar(this.node) ? this.node.value : undefined;
  }

  /** The value as plain JavaScript data. */
  toJS(): unknown {
    if (this.node === null) return null;
    return this.node.toJS(this.source.doc);
  }

  /** A mapping; with `nullAsEmpty`, an empty value reads as an empty mapping. */
  map(options: { nullAsEmpty?: boolean } = {}): MapReader | undefined {
    if (isMap(this.node)) return new MapReader(this.source, this.node, this.path, this.node);
    if (options.nullAsEmpty === true && this.isNull)
      return new MapReader(this.source, null, this.path, this.anchor);
    this.report(`expected a mapping (key: value), got ${describe(this.node)}`, this.scalar);
    return undefined;
  }

  /** A list; with `allowSingle`, one scalar reads as a list of one (`owners: erp`). */
  list(options: { allowSingle?: boolean } = {}): ConfigValue[] | undefined {
    if (isSeq(this.node)) {
      return this.node.items.map(
        (item, index) => new ConfigValue(this.source, item, indexPath(this.path, index)),
      );
    }
    if (options.allowSingle === true && isScalar(this.node) && !this.isNull) return [this];
    this.report(`expected a list, got ${describe(this.node)}`, this.scalar);
    return undefined;
  }

  /** A non-empty string; a number written plainly (`01`, `00401`) reads as written. */
  string(options: { secret?: boolean } = {}): string | undefined {
    const text =
      isScalar(this.node) && typeof this.node.value !== 'boolean' ? scalarText(this.node) : undefined;
    if (text === undefined) {
      if (options.secret === true) this.report('expected a string');
      else this.report(`expected a string, got ${describe(this.node)}`, this.scalar);
      return undefined;
    }
    if (text === '') {
      this.report('expected a non-empty string');
      return undefined;
    }
    return text;
  }

  /** A string matching `pattern`; `rule` says what is allowed, for the message. */
  matching(pattern: RegExp, what: string, rule: string): string | undefined {
    const text = this.string();
    if (text === undefined) return undefined;
    if (!pattern.test(text)) {
      this.report(`invalid ${what} '${text}'; ${rule}`, text);
      return undefined;
    }
    return text;
  }

  /** An integer within `[min, max]`. */
  int(min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
    const value = this.scalar;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      const range =
        max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
      this.report(`expected ${range}, got ${describe(this.node)}`, value);
      return undefined;
    }
    return value;
  }

  /** A finite number greater than zero. */
  positiveNumber(): number | undefined {
    const value = this.scalar;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      this.report(`expected a number > 0, got ${describe(this.node)}`, value);
      return undefined;
    }
    return value;
  }

  /** `true` or `false`. */
  boolean(): boolean | undefined {
    const value = this.scalar;
    if (typeof value !== 'boolean') {
      this.report(`expected true or false, got ${describe(this.node)}`, value);
      return undefined;
    }
    return value;
  }

  /** One of `choices`; `what` names the thing for the message ("unknown kind 'warehouse'; expected …"). */
  oneOf<T extends string>(choices: readonly T[], what: string): T | undefined {
    const text = this.string();
    if (text === undefined) return undefined;
    if (!(choices as readonly string[]).includes(text)) {
      this.report(
        `unknown ${what} '${text}'; expected one of: ${choices.join(', ')}${didYouMean(text, choices)}`,
        text,
      );
      return undefined;
    }
    return text as T;
  }

  /** A reference to a declared name: `no system named 'wms-west'; known systems: erp, wms-east`. */
  reference(known: readonly string[], singular: string, plural: string): string | undefined {
    const text = this.string();
    if (text === undefined) return undefined;
    if (!known.includes(text)) {
      const valid = known.length === 0 ? `no ${plural} are declared` : `known ${plural}: ${known.join(', ')}`;
      this.report(`no ${singular} named '${text}'; ${valid}${didYouMean(text, known)}`, text);
      return undefined;
    }
    return text;
  }
}

/** One entry of a mapping. */
export interface MapEntry {
  name: string;
  keyNode: Node;
  value: ConfigValue;
}

/** A mapping at a key path; keys are read as written. */
export class MapReader {
  private readonly entries = new Map<string, MapEntry>();

  constructor(
    readonly source: YamlSource,
    node: YAMLMap | null,
    readonly path: string,
    /** Where to point for issues about the mapping as a whole (a missing key). */
    readonly anchor: Node | null,
  ) {
    for (const pair of node?.items ?? []) {
      const keyNode = pair.key as Node;
      const name = scalarText(pair.key);
      if (name === undefined) {
        addIssue(source, keyNode ?? anchor, path, `keys must be plain strings, got ${describe(keyNode)}`);
        continue;
      }
      const value = new ConfigValue(source, pair.value, childPath(path, name), keyNode);
      this.entries.set(name, { name, keyNode, value });
    }
  }

  /** Every entry, in file order. */
  list(): MapEntry[] {
    return [...this.entries.values()];
  }

  /** Key names, in file order. */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether `key` is written, even with an empty value. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /** The value of an optional key; undefined when absent or empty. */
  get(key: string): ConfigValue | undefined {
    const entry = this.entries.get(key);
    return entry === undefined || entry.value.isNull ? undefined : entry.value;
  }

  /** The value of a required key; reports it missing (at the mapping) or empty (at the key). */
  require(key: string): ConfigValue | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.report(`missing required key '${key}'`);
      return undefined;
    }
    if (entry.value.isNull) {
      entry.value.report(`'${key}' is empty; give it a value`);
      return undefined;
    }
    return entry.value;
  }

  /** Reports every key not in `allowed`, at the key. */
  allowOnly(allowed: readonly string[]): void {
    const where = this.path === '' ? 'at top level' : `in ${this.path}`;
    for (const entry of this.entries.values()) {
      if (allowed.includes(entry.name)) continue;
      addIssue(
        this.source,
        entry.keyNode,
        childPath(this.path, entry.name),
        `unknown key '${entry.name}' ${where}; expected one of: ${allowed.join(', ')}${didYouMean(entry.name, allowed)}`,
        entry.name,
      );
    }
  }

  /** Reports an issue about the mapping as a whole. */
  report(message: string, value?: unknown): void {
    addIssue(this.source, this.anchor, this.path, message, value);
  }

  /** Reports an issue at the key of an entry (a bad name), with the key's own path. */
  reportKey(entry: MapEntry, message: string): void {
    addIssue(this.source, entry.keyNode, entry.value.path, message, entry.name);
  }
}

function resolveAlias(source: YamlSource, node: unknown): Node | null {
  if (isAlias(node)) return (node.resolve(source.doc) as Node | undefined) ?? null;
  return (node as Node | null | undefined) ?? null;
}

/** How a node reads in a message: `'text'`, `42`, `a list`, `nothing`. */
export function describe(node: unknown): string {
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    if (node.value === null || node.value === undefined) return 'nothing';
    if (typeof node.value === 'string') return `'${node.value}'`;
    return String(node.value);
  }
  return 'nothing';
}

/** A duration: `250ms`, `30s`, `5m`, `1h`, or a whole number of milliseconds. */
export function readDuration(value: ConfigValue | undefined): number | undefined {
  if (value === undefined) return undefined;
  const raw = value.scalar;
  if (typeof raw === 'number') return value.int(0);
  const text = value.string();
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text);
  if (ms === undefined) {
    value.report(`invalid duration '${text}'; expected e.g. 250ms, 30s, 5m, 1h, 90d or milliseconds`, text);
  }
  return ms;
}
