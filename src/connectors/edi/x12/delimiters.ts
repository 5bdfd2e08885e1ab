/**
 * X12 delimiters. A receiver learns them from each ISA (fixed width, so they sit at known places); a
 * sender chooses them per partner. None may be a letter, a digit or a space, and no two may be the same.
 */

/** The four delimiters of an interchange. */
export interface Delimiters {
  /** Separates data elements: the 4th character of the ISA. */
  element: string;
  /** Separates the components of a composite element: ISA16. */
  component: string;
  /** Ends a segment: the character(s) right after ISA16 (a newline, `~`, or a multi-byte one like `…`). */
  segment: string;
  /** Separates repetitions: ISA11 for interchange versions 00402 and later; absent before. */
  repetition?: string;
}

/** What Manifold sends unless a partner's configuration says otherwise. */
export const DEFAULT_DELIMITERS: Readonly<Required<Delimiters>> = Object.freeze({
  element: '*',
  component: '>',
  segment: '~',
  repetition: '^',
});

/** ISA12 from which ISA11 is the repetition separator instead of the standards identifier `U`. */
export const FIRST_VERSION_WITH_REPETITION = 402;

/** True when the interchange version (ISA12, e.g. `00501`) carries a repetition separator in ISA11. */
export function hasRepetitionSeparator(version: string): boolean {
  return /^\d{5}$/.test(version) && Number(version) >= FIRST_VERSION_WITH_REPETITION;
}

/**
 * True when `char` may serve as a delimiter: one character (one code point), not a letter, digit or space
 * (those occur in data: X12.6 keeps delimiters out of the character sets data uses).
 */
export function isDelimiterCharacter(char: string | undefined): boolean {
  if (char === undefined || char.length === 0) return false;
  const code = char.charCodeAt(0);
  if (char.length === 1 && code < 0x80) {
    // ASCII (every delimiter in practice): anything but letters, digits, space and tab-like spacing.
    const letterOrDigit =
      (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    return !letterOrDigit && code !== 32 && code !== 9 && code !== 11 && code !== 12;
  }
  const codePoint = char.codePointAt(0) ?? 0;
  if (char.length !== (codePoint > 0xffff ? 2 : 1)) return false;
  return !/[\p{L}\p{N}\s]/u.test(char);
}

/**
 * Checks a sender's delimiters: each one character (the segment terminator may be followed by a newline
 * on output, which is not part of it), none alphanumeric, only the terminator a line break, all different. Returns the problems, empty when
 * sound.
 */
export function delimiterProblems(delimiters: Delimiters): string[] {
  const problems: string[] = [];
  const named: Array<[string, string | undefined]> = [
    ['element', delimiters.element],
    ['component', delimiters.component],
    ['segment', delimiters.segment],
  ];
  if (delimiters.repetition !== undefined) named.push(['repetition', delimiters.repetition]);
  for (const [name, char] of named) {
    if (!isDelimiterCharacter(char)) {
      problems.push(`the ${name} delimiter ${JSON.stringify(char)} must be one non-alphanumeric character`);
    } else if (name !== 'segment' && (char === '\n' || char === '\r')) {
      problems.push(`only the segment terminator may be a line break, not the ${name} delimiter`);
    }
  }
  for (let i = 0; i < named.length; i++) {
    for (let j = i + 1; j < named.length; j++) {
      const [a, charA] = named[i]!;
      const [b, charB] = named[j]!;
      if (charA === charB) problems.push(`the ${a} and ${b} delimiters are both ${JSON.stringify(charA)}`);
    }
  }
  return problems;
}
