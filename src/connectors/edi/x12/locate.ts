/**
 * Offsets in decoded text → line, column and byte offset in the UTF-8 file, for messages that point an
 * operator (or a partner) at the place in the file they have.
 */

/** A place in the text: line and column from 1 (columns in characters), byte offset from 0 (UTF-8). */
export interface TextPosition {
  line: number;
  column: number;
  byte: number;
}

/** Locates offsets of one text; cheapest when asked in increasing order (it walks on from the last one). */
export class Locator {
  private offset = 0;
  private line = 1;
  private lineStart = 0;
  private byte = 0;

  constructor(private readonly text: string) {}

  locate(offset: number): TextPosition {
    if (offset < this.offset) {
      this.offset = 0;
      this.line = 1;
      this.lineStart = 0;
      this.byte = 0;
    }
    const text = this.text;
    const target = Math.min(offset, text.length);
    let { line, lineStart, byte } = this;
    for (let i = this.offset; i < target; i++) {
      const code = text.charCodeAt(i);
      if (code === 10) {
        line += 1;
        lineStart = i + 1;
      }
      // UTF-8 length; a surrogate pair (4 bytes) is counted on its high half.
      byte +=
        code < 0x80
          ? 1
          : code < 0x800
            ? 2
            : code >= 0xd800 && code <= 0xdbff
              ? 4
              : code >= 0xdc00 && code <= 0xdfff
                ? 0
                : 3;
    }
    this.offset = target;
    this.line = line;
    this.lineStart = lineStart;
    this.byte = byte;
    return { line, column: target - lineStart + 1, byte };
  }
}
