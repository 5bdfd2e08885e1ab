/**
 * Did-you-mean suggestions for configuration messages: the one or two choices nearest to what was written,
 * by edit distance (a swapped pair of letters counts as one edit, so `tpyes` finds `types`). Every section
 * uses it for unknown keys, names and event types, so a typo gets the same kind of hint everywhere.
 */

/** The one or two choices nearest to `text` (equally near), or none when nothing is near enough. */
export function nearest(text: string, choices: readonly string[], max = 2): string[] {
  const typed = text.toLowerCase();
  const scored: { choice: string; distance: number }[] = [];
  for (const choice of new Set(choices)) {
    const distance = editDistance(typed, choice.toLowerCase());
    // Near enough: one edit for words up to 8 letters, about one in four letters for longer ones.
    if (distance <= Math.max(1, Math.floor((Math.min(typed.length, choice.length) - 1) / 4)))
      scored.push({ choice, distance });
  }
  scored.sort((a, b) => a.distance - b.distance);
  const best = scored[0]?.distance;
  return scored
    .filter((entry) => entry.distance === best)
    .slice(0, max)
    .map((entry) => entry.choice);
}

/** ` (did you mean 'types'?)`, ` (did you mean 'a' or 'b'?)`, or empty when nothing is near. */
export function didYouMean(text: string, choices: readonly string[]): string {
  const near = nearest(text, choices);
  if (near.length === 0) return '';
  return ` (did you mean ${near.map((choice) => `'${choice}'`).join(' or ')}?)`;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and adjacent swaps. */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const up = rows[i - 1] as number[];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, ((rows[i - 2] as number[])[j - 2] ?? 0) + 1);
      row.push(best);
    }
    rows.push(row);
  }
  return (rows[a.length] as number[])[b.length] ?? 0;
}
