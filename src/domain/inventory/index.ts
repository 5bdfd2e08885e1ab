/** The inventory domain (docs/inventory.md): positions, buckets and the movement rules. */

export * from './availability.js';
export * from './position.js';
export * from './reason-codes.js';
export * from './rules.js';
