/**
 * Building the WHERE clause of a filtered read, for either adapter: each condition is written with `?`
 * for its value and added only when the value is given; PostgreSQL placeholders are numbered (`$1`).
 */
export type PlaceholderStyle = 'question' | 'numbered';

export class SqlConditions {
  readonly params: unknown[] = [];
  private readonly clauses: string[] = [];

  constructor(private readonly style: PlaceholderStyle) {}

  /** Adds `clause` (one `?`) with `value`, unless the value is undefined. */
  add(clause: string, value: unknown): this {
    if (value === undefined) return this;
    this.params.push(value);
    this.clauses.push(this.style === 'numbered' ? clause.replace('?', `$${this.params.length}`) : clause);
    return this;
  }

  /** Adds `clause` without a value. */
  always(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  /** `WHERE a AND b`, or nothing when no condition was added. */
  get where(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }

  /** The placeholder of one more parameter (e.g. the LIMIT), after adding it. */
  next(value: unknown): string {
    this.params.push(value);
    return this.style === 'numbered' ? `$${this.params.length}` : '?';
  }
}
