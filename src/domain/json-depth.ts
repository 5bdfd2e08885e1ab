/**
 * The hub's cap on how deep a JSON document may nest (docs/operations.md, "Input limits"): every JSON body
 * the API takes and every document a connector reads (a webhook's body, a poll page, a call's answer) is
 * held to it, checked on the text before parsing.
 */

/** Arrays and objects may nest this deep; no contract comes near it, and recursion stays shallow. */
export const MAX_JSON_DEPTH = 64;

const QUOTE = 34;
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * Whether JSON text nests arrays and objects deeper than `limit`. Read before parsing, without
 * recursion; strings are skipped whole (a `[` inside one does not count).
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  // Each level needs an opening and a closing character: a short text cannot be that deep and valid.
  if (text.length <= limit * 2) return false;
  let depth = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === QUOTE) {
      let end = text.indexOf('"', index + 1);
      while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      index = end;
    } else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Whether the character at `at` follows an odd run of backslashes. */
function isEscaped(text: string, at: number): boolean {
  let backslashes = 0;
  for (let index = at - 1; index >= 0 && text.charCodeAt(index) === BACKSLASH; index--) backslashes++;
  return backslashes % 2 === 1;
}
