/** Both adapters apply the same migrations, from the one source, and each is then fully migrated. */
import { afterAll, expect, it } from 'vitest';
import { readMigrations } from '../src/store/migration-files.js';
import { describeWithStore, openTestStore, requestedStores, type TestStore } from './support/stores.js';

const applied = new Map<string, string[]>();
const opened: TestStore[] = [];

afterAll(async () => {
  await Promise.all(opened.map((s) => s.cleanup()));
});

for (const kind of requestedStores()) {
  await describeWithStore(kind, `migrations on ${kind}`, () => {
    it('applies every version of the source, in order, and reports itself migrated', async () => {
      const testStore = await openTestStore(kind);
      opened.push(testStore);
      const expected = readMigrations(kind).map((m) => `${String(m.version).padStart(4, '0')}_${m.name}`);
      expect(testStore.applied).toEqual(expected);
      applied.set(kind, testStore.applied);
      const health = await testStore.store.health();
      expect(health).toEqual({ ok: true, applied: expected.length, known: expected.length });
    });
  });
}

it('the same versions on every adapter', () => {
  const lists = [...applied.values()];
  for (const list of lists) expect(list).toEqual(lists[0]);
});
