/** The inventory domain (DESIGN §2.2): positions, buckets and the movement rules. */
export * from './position.js';
export * from './rules.js';
