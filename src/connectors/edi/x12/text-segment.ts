/**
 * A segment as read from text. The tokenizer only finds where each segment starts and ends; its id and
 * elements are cut from the text on first access and then kept. Envelope validation reads the elements of
 * a few segments only (ISA, GS, ST, SE, GE, IEA), so a large document is parsed and validated without
 * allocating a string per element — the cost that dominates a parser in JavaScript (see
 * docs/benchmarks.md, "EDI").
 */
import type { Composite, Element, Segment } from './model.js';

/** What the segments of one interchange need to split their elements: the text and the delimiters. */
export class SegmentSource {
  constructor(
    readonly text: string,
    readonly separator: string,
    /** The component separator, or '' when the ISA's is unusable. */
    readonly component: string,
    /** The repetition separator, or '' (before 00402, or none declared). */
    readonly repetition: string,
  ) {}
}

/** Flags the tokenizer sets: the segment holds a component separator / a repetition separator. */
export const HAS_COMPONENTS = 1;
export const HAS_REPETITIONS = 2;

/** Envelope and control segments: their elements are never split into components or repetitions. */
const ENVELOPE_IDS = new Set(['ISA', 'GS', 'GE', 'ST', 'SE', 'IEA', 'TA1']);

/** A segment of parsed text; `id` and `elements` are computed once, on first access. */
export class TextSegment implements Segment {
  private cachedId: string | undefined = undefined;
  private cachedElements: Element[] | undefined = undefined;

  constructor(
    private readonly source: SegmentSource,
    readonly offset: number,
    /** Offset of the first element separator, or `end` when the segment has no elements. */
    private readonly idEnd: number,
    /** Offset just past the last character (the terminator and a CR before it excluded). */
    private readonly end: number,
    readonly ordinal: number,
    private readonly flags: number,
  ) {}

  get id(): string {
    if (this.cachedId === undefined) this.cachedId = this.source.text.slice(this.offset, this.idEnd);
    return this.cachedId;
  }

  get elements(): Element[] {
    if (this.cachedElements === undefined) this.cachedElements = this.split();
    return this.cachedElements;
  }

  /** The plain form: what `JSON.stringify` prints and tests compare. */
  toJSON(): { id: string; elements: Element[]; ordinal: number; offset: number } {
    return { id: this.id, elements: this.elements, ordinal: this.ordinal, offset: this.offset };
  }

  private split(): Element[] {
    if (this.idEnd >= this.end) return [];
    const { text, separator, component, repetition } = this.source;
    const elements: Element[] = text.slice(this.idEnd + 1, this.end).split(separator);
    if (this.flags === 0 || ENVELOPE_IDS.has(this.id)) return elements;
    const repeated = (this.flags & HAS_REPETITIONS) !== 0;
    const composite = (this.flags & HAS_COMPONENTS) !== 0;
    for (let i = 0; i < elements.length; i++) {
      const value = elements[i] as string;
      if (repeated && value.includes(repetition)) {
        elements[i] = {
          repeats: value
            .split(repetition)
            .map((part): string | Composite =>
              composite && part.includes(component) ? part.split(component) : part,
            ),
        };
      } else if (composite && value.includes(component)) {
        elements[i] = value.split(component);
      }
    }
    return elements;
  }
}
