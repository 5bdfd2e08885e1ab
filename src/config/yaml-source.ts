/**
 * The YAML side of configuration loading: parsing with line numbers, `${VAR}` interpolation of scalars,
 * and key paths. `${…}` is not valid inside YAML flow collections (`{ key: ${ERP_KEY} }`), so each
 * reference is swapped for a same-length placeholder before parsing and restored after: the documented
 * flow style parses, and every line and column stays exact.
 */
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  Scalar,
} from 'yaml';
import type { ConfigIssue } from './config-error.js';

/** A parsed configuration file: the document, its line table and the issues found so far. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
  issues: ConfigIssue[];
  /** What loads but is probably not what was meant (`severity: 'warning'`). */
  warnings: ConfigIssue[];
  /** Scalars whose interpolation failed; their issue is already reported, so later checks stay quiet. */
  unresolved: WeakSet<Node>;
}

const REFERENCE = /\$\{[^}\n]*\}/g;
const PLACEHOLDER = /\uE000([\uE100-\uF8FF])\uE001*/g;
const FIRST_INDEX_CHAR = 0xe100;
const MAX_PLACEHOLDERS = 0xf8ff - FIRST_INDEX_CHAR + 1;

/** Parses `text` into a document; YAML syntax errors become issues with their line and column. */
export function parseYamlSource(text: string, file: string): YamlSource {
  const references: string[] = [];
  const protectedText = text.replace(REFERENCE, (reference) => {
    if (references.length >= MAX_PLACEHOLDERS) return reference;
    const index = references.push(reference) - 1;
    return `\uE000${String.fromCharCode(FIRST_INDEX_CHAR + index)}${'\uE001'.repeat(reference.length - 2)}`;
  });
  const restore = (value: string): string =>
    value.replace(PLACEHOLDER, (placeholder, indexChar: string) => {
      return references[indexChar.charCodeAt(0) - FIRST_INDEX_CHAR] ?? placeholder;
    });

  const lineCounter = new LineCounter();
  // Duplicate keys are reported by `reportDuplicateKeys`, naming both lines, not as a bare syntax error.
  const doc = parseDocument(protectedText, {
    lineCounter,
    prettyErrors: false,
    keepSourceTokens: false,
    uniqueKeys: false,
  });
  const source: YamlSource = { file, doc, lineCounter, issues: [], warnings: [], unresolved: new WeakSet() };
  const reportedLines = new Set<number>();
  for (const error of doc.errors) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    // One syntax error tends to cascade into many on the same line; the first one is the useful one.
    if (reportedLines.has(line)) continue;
    reportedLines.add(line);
    source.issues.push({
      file,
      line,
      column: col,
      path: '',
      message: `YAML syntax: ${restore(error.message)}`,
    });
  }
  restoreScalars(doc.contents, restore);
  return source;
}

/**
 * A key written twice in one mapping is an error at the second one, naming the first's line: YAML keeps
 * only one of them, so half of what was written would be silently ignored.
 */
export function reportDuplicateKeys(source: YamlSource, node: unknown, path = ''): void {
  if (isMap(node)) {
    const first = new Map<string, Node>();
    for (const pair of node.items) {
      const key = scalarText(pair.key);
      if (key !== undefined) {
        const earlier = first.get(key);
        if (earlier === undefined) first.set(key, pair.key as Node);
        else {
          const { line, column } = positionOf(source, earlier);
          addIssue(
            source,
            pair.key as Node,
            childPath(path, key),
            `duplicate key '${key}' (first at line ${line}, column ${column}); keep one of them`,
            key,
          );
        }
      }
      reportDuplicateKeys(source, pair.value, childPath(path, key ?? '?'));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      reportDuplicateKeys(source, item, indexPath(path, index));
    });
  }
}

/** Puts the original `${…}` text back into every scalar, keys included (keys are not interpolated). */
function restoreScalars(node: unknown, restore: (value: string) => string): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      restoreScalars(pair.key, restore);
      restoreScalars(pair.value, restore);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) restoreScalars(item, restore);
  } else if (isPair(node)) {
    restoreScalars(node.key, restore);
    restoreScalars(node.value, restore);
  } else if (isScalar(node) && typeof node.value === 'string') {
    const restored = restore(node.value);
    if (restored !== node.value) {
      node.value = restored;
      if (node.source !== undefined) node.source = restore(node.source);
    }
  }
}

/** 1-based line and column of a node (or of the document start when there is none). */
export function positionOf(
  source: YamlSource,
  node: Node | null | undefined,
): { line: number; column: number } {
  const { line, col } = source.lineCounter.linePos(node?.range?.[0] ?? 0);
  return { line, column: col };
}

/** Appends an issue located at `node`. */
export function addIssue(
  source: YamlSource,
  node: Node | null | undefined,
  path: string,
  message: string,
  value?: unknown,
): void {
  const issue: ConfigIssue = { file: source.file, ...positionOf(source, node), path, message };
  if (value !== undefined) issue.value = value;
  source.issues.push(issue);
}

/** Appends a warning located at `node`: the configuration still loads. */
export function addWarning(
  source: YamlSource,
  node: Node | null | undefined,
  path: string,
  message: string,
  value?: unknown,
): void {
  const issue: ConfigIssue = {
    file: source.file,
    ...positionOf(source, node),
    path,
    message,
    severity: 'warning',
  };
  if (value !== undefined) issue.value = value;
  source.warnings.push(issue);
}

/** The path of a key under `parent`: `parent.key`, or `parent['order.accepted']` when the key has a dot. */
export function childPath(parent: string, key: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}['${key.replaceAll("'", "\\'")}']`;
}

/** The path of a list item under `parent`: `parent[2]`. */
export function indexPath(parent: string, index: number): string {
  return `${parent}[${index}]`;
}

/** The text of a scalar key or value as written: `01` stays `01`, not the number 1. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node)) return undefined;
  if (typeof node.value === 'string') return node.value;
  if (node.value === null || node.value === undefined) return undefined;
  if (node.type === Scalar.PLAIN && node.source !== undefined) return node.source;
  return String(node.value);
}

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (not in keys) from `env`. A plain scalar
 * that was a reference is re-typed, so `port: ${PORT:-8080}` is the number 8080; a quoted one stays a
 * string. Missing variables and malformed references are issues at the scalar.
 */
export function interpolateDocument(source: YamlSource, env: NodeJS.ProcessEnv): void {
  const visit = (node: unknown, path: string): void => {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = scalarText(pair.key) ?? '?';
        visit(pair.value, childPath(path, key));
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        visit(item, indexPath(path, index));
      });
    } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('${')) {
      interpolateScalar(source, node, path, env);
    }
  };
  visit(source.doc.contents, '');
}

const REFERENCE_BODY = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

function interpolateScalar(source: YamlSource, node: Scalar, path: string, env: NodeJS.ProcessEnv): void {
  const text = node.value as string;
  let failed = false;
  const result = text.replace(/\$\{([^}\n]*)\}/g, (reference, body: string) => {
    const match = REFERENCE_BODY.exec(body);
    if (match === null) {
      failed = true;
      addIssue(
        source,
        node,
        path,
        `invalid environment reference '${reference}'; write \${NAME} or \${NAME:-default}`,
        text,
      );
      return reference;
    }
    const name = match[1] as string;
    const fallback = match[2];
    const value = env[name];
    if (fallback !== undefined && (value === undefined || value === '')) return fallback;
    if (value === undefined) {
      failed = true;
      addIssue(
        source,
        node,
        path,
        `environment variable '${name}' is not set; set it, or give a default with \${${name}:-value}`,
        reference,
      );
      return reference;
    }
    return value;
  });
  if (!failed && text.replace(/\$\{[^}\n]*\}/g, '').includes('${')) {
    failed = true;
    addIssue(source, node, path, `unterminated environment reference in '${text}'; write \${NAME}`, text);
  }
  if (failed) {
    source.unresolved.add(node);
    return;
  }
  node.value = node.type === Scalar.PLAIN ? retype(result) : result;
  node.source = result;
}

/** Types a plain scalar produced by interpolation the way YAML would have: numbers and booleans. */
function retype(text: string): string | number | boolean {
  if (/^[-+]?(?:\d+|\d*\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) return Number(text);
  if (text === 'true') return true;
  if (text === 'false') return false;
  return text;
}
