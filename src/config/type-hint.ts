/**
 * What to say about an event type pattern that matches nothing: the nearest one or two catalogue types or
 * family patterns (`did you mean 'com.manifold.order.*'?`), by the same edit distance as every other
 * did-you-mean of the configuration; the whole catalogue only when nothing is near.
 */
import { CATALOGUE } from '../domain/event-catalogue.js';
import { nearest } from './did-you-mean.js';

const CATALOGUE_TYPES = CATALOGUE.map((entry) => entry.type);

/** Every catalogue type and every family pattern above it (`com.manifold.*`, `com.manifold.order.*`). */
const TYPE_CHOICES = [
  ...CATALOGUE_TYPES,
  ...new Set(
    CATALOGUE_TYPES.flatMap((type) => {
      const parts = type.split('.');
      return parts.slice(1, -1).map((_, index) => `${parts.slice(0, index + 2).join('.')}.*`);
    }),
  ),
];

/** `did you mean 'com.manifold.order.shipped.v1'?`, or `known types: …` when nothing is near. */
export function typeHint(pattern: string): string {
  const near = nearest(pattern, TYPE_CHOICES);
  if (near.length === 0) return `known types: ${CATALOGUE_TYPES.join(', ')}`;
  return `did you mean ${near.map((choice) => `'${choice}'`).join(' or ')}?`;
}
