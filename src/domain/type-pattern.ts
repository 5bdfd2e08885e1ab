/**
 * Event type patterns of subscriptions: `*` matches any run of characters (`com.manifold.order.*`),
 * anything else matches itself exactly. Pure.
 */

const VALID_PATTERN = /^[A-Za-z0-9._*-]+$/;

/** Whether `pattern` is a well-formed type pattern: letters, digits, `.`, `-`, `_` and `*`, non-empty. */
export function isValidTypePattern(pattern: string): boolean {
  return VALID_PATTERN.test(pattern);
}

/** Compiles patterns into one predicate that is true when a type matches any of them (none: never). */
export function compileTypePatterns(patterns: readonly string[]): (type: string) => boolean {
  if (patterns.length === 0) return () => false;
  const alternatives = patterns.map((pattern) => pattern.split('*').map(escapeRegExp).join('.*'));
  const regexp = new RegExp(`^(?:${alternatives.join('|')})$`, 's');
  return (type) => regexp.test(type);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
