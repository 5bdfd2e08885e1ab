/**
 * JSONata for shaped calls (docs/connectors.md#shaped-calls-out): each expression is compiled once, when
 * the configuration is read, and every evaluation runs under a time, depth and sequence budget so that a
 * hostile expression or payload cannot hang a delivery (jsonata's own guardrails: D1012, D1011, D2015).
 */
import jsonata from 'jsonata';
import { isMap } from 'yaml';
import type { CompiledConfig, CompiledExpression } from '../../config/compiled-config.js';
import type { ConfigValue } from '../../config/config-reader.js';

/** Longest one evaluation may run, in milliseconds. */
export const EXPRESSION_TIMEOUT_MS = 250;
/** Deepest evaluation (nested calls, recursion). */
export const EXPRESSION_MAX_DEPTH = 500;
/** Longest sequence an evaluation may build. */
export const EXPRESSION_MAX_SEQUENCE = 100_000;

const OPTIONS = {
  timeout: EXPRESSION_TIMEOUT_MS,
  stack: EXPRESSION_MAX_DEPTH,
  sequence: EXPRESSION_MAX_SEQUENCE,
};

/** A JSONata error as the library throws it (a plain object, not an Error). */
interface JsonataError {
  code?: string;
  position?: number;
  token?: string;
  message?: string;
}

/** Compiles `text` (the expression written at `key`); throws the library's error with a message. */
export function compileText(key: string, text: string): CompiledExpression {
  return { key, text, expression: jsonata(text, OPTIONS) };
}

/**
 * Reads the expression at `value` and compiles it. A value YAML read as a mapping (it began with `{`,
 * or `{{`) and an expression that does not compile are reported at the value, the latter with its own
 * position in the expression.
 */
export function readExpression(value: ConfigValue | undefined, key: string): CompiledExpression | undefined {
  if (value === undefined) return undefined;
  if (notAString(value)) return undefined;
  const text = value.string();
  if (text === undefined) return undefined;
  return compileAt(value, key, text);
}

/** Compiles `text`, found at `value`; reports a syntax error there. */
export function compileAt(value: ConfigValue, key: string, text: string): CompiledExpression | undefined {
  try {
    return compileText(key, text);
  } catch (error) {
    value.report(`invalid JSONata in '${key}': ${describeJsonataError(error, text)}`, text);
    return undefined;
  }
}

/**
 * Reports a value that YAML read as a mapping where an expression (or a templated URL) was meant: YAML
 * reads `{ "a": x }` and `{{ x }}` as flow mappings unless the value is quoted or a block scalar.
 */
export function notAString(value: ConfigValue): boolean {
  const node = value.node;
  if (!isMap(node)) return false;
  const first = node.items[0]?.key;
  if (isMap(first)) {
    value.report(
      "YAML read this value as a mapping because it begins with '{{'; quote the whole value ('{{ … }}…') or write it as a block scalar (|)",
    );
  } else {
    value.report(
      "YAML read this value as a mapping because it begins with '{'; quote it or write it as a block scalar (|) to give a JSONata expression",
    );
  }
  return true;
}

/** `S0202 at position 12 of the expression ('}'): Expected ")", got "}"` and the like. */
export function describeJsonataError(error: unknown, text?: string): string {
  const e = error as JsonataError;
  const message = e.message ?? String(error);
  const code = e.code !== undefined ? `${e.code} ` : '';
  if (typeof e.position !== 'number') return `${code}${message}`;
  const near = e.token !== undefined ? ` (near '${e.token}')` : '';
  const where = text !== undefined ? expressionLineColumn(text, e.position) : '';
  return `${code}at position ${e.position} of the expression${where}${near}: ${message}`;
}

/** `, line 2 column 5` inside a multi-line expression; empty for a one-line one. */
function expressionLineColumn(text: string, position: number): string {
  if (!text.includes('\n')) return '';
  const before = text.slice(0, Math.max(0, position));
  const lines = before.split('\n');
  return `, line ${lines.length} column ${(lines.at(-1)?.length ?? 0) + 1}`;
}

/** An evaluation that failed (or ran out of budget): the delivery is refused with this message. */
export class ExpressionError extends Error {
  /** The key of the expression that failed (`body`, `failIf`, `url {{ … }}`), when known. */
  readonly key: string | undefined;

  constructor(message: string, key?: string) {
    super(message);
    this.name = 'ExpressionError';
    this.key = key;
  }
}

/** Exception code of a message parked because a cross-reference table lacks a key (`onMissing: park`). */
export const XREF_MISSING = 'xref_missing';

/** `$xref(table, key)` found no entry and the table says `onMissing: park`. */
export class XrefMissingError extends ExpressionError {
  constructor(
    readonly table: string,
    readonly xrefKey: string,
    key?: string,
  ) {
    super(
      `${key !== undefined ? `${key}: ` : ''}${XREF_MISSING}: cross-reference table '${table}' has no key '${xrefKey}'`,
      key,
    );
    this.name = 'XrefMissingError';
  }
}

/**
 * What `$xref(table, key)` calls: the entry's value, or what the table's `onMissing` gives (its default,
 * undefined, or a thrown `XrefMissingError`). Each evaluation is given its own (`xrefBinding`), made by
 * `xrefResolver` over the configuration and the store of the hub it runs in, so two hubs in one process
 * never read each other's tables.
 */
export type XrefResolver = (table: string, key: string) => Promise<unknown>;

/**
 * `$xref(table, key)` over `store` (docs/connectors.md#cross-reference-tables): the entry's value, or what
 * the table's `onMissing` says — its `default`, undefined (`skip`), or the message parked as `xref_missing`
 * (`park`, thrown as `XrefMissingError`).
 */
export function xrefResolver(
  config: Pick<CompiledConfig, 'xref'>,
  store: { get(table: string, key: string): Promise<unknown> },
): XrefResolver {
  return async (name, key) => {
    const table = config.xref?.get(name);
    if (table === undefined) {
      const known = [...(config.xref?.keys() ?? [])];
      throw new Error(
        `$xref: no cross-reference table '${name}' (${known.length > 0 ? `configured: ${known.join(', ')}` : 'none configured under xref:'})`,
      );
    }
    const value = await store.get(name, key);
    if (value !== undefined) return value;
    if (table.onMissing === 'default') return table.default;
    if (table.onMissing === 'skip') return undefined;
    throw new XrefMissingError(name, key);
  };
}

/** `xrefResolver` over a connector context's stores, when they keep cross-reference tables. */
export function storeXref(config: Pick<CompiledConfig, 'xref'>, stores: unknown): XrefResolver | undefined {
  const xref = (stores as { xref?: { get(table: string, key: string): Promise<unknown> } } | undefined)?.xref;
  return xref === undefined ? undefined : xrefResolver(config, xref);
}

/** The `$xref` function of the expressions of one evaluation: the arguments checked, then `resolver`. */
type XrefFunction = (table: unknown, key: unknown) => Promise<unknown>;

/**
 * The bindings that give an evaluation `$xref` over `resolver`; without one, `$xref` is an error (nothing
 * in this evaluation keeps cross-reference tables).
 */
export function xrefBinding(resolver: XrefResolver | undefined): { xref: XrefFunction } {
  return {
    xref: async (table, key) => {
      if (key === undefined || key === null) return undefined;
      if (typeof table !== 'string') throw new Error('$xref: the first argument must be a table name');
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean') {
        throw new Error(`$xref('${table}', …): the key must be a string or a number`);
      }
      if (resolver === undefined) throw new Error('$xref: no cross-reference tables in this evaluation');
      return resolver(table, String(key));
    },
  };
}

const NO_XREF = xrefBinding(undefined);

/**
 * Evaluates `compiled` over `input` with `bindings` (`$lookup`, `$idempotencyKey`, and `$xref` from
 * `xrefBinding`; without it `$xref` is an error), under the budget.
 */
export async function evaluate(
  compiled: CompiledExpression,
  input: unknown,
  bindings: Record<string, unknown> = {},
): Promise<unknown> {
  try {
    return await compiled.expression.evaluate(input, { ...NO_XREF, ...bindings });
  } catch (error) {
    if (error instanceof XrefMissingError)
      throw new XrefMissingError(error.table, error.xrefKey, compiled.key);
    throw new ExpressionError(`${compiled.key}: ${describeJsonataError(error)}`, compiled.key);
  }
}

/** JSONata's truth (`$boolean`): empty strings, zero, empty arrays and objects, and nothing are false. */
export function truthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (Array.isArray(value)) return value.some(truthy);
  if (typeof value === 'object') return Object.keys(value).length > 0;
  if (typeof value === 'function') return false;
  return Boolean(value);
}
