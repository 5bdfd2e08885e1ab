/** Opens the store adapter named by the configuration and brings its schema up to date. */
import type { StoreConfig } from '../config/compiled-config.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './store-port.js';

/** Opens and migrates the configured store. */
export async function openStore(config: StoreConfig): Promise<Store> {
  const store =
    config.kind === 'sqlite'
      ? new SqliteStore({ path: config.path })
      : new PostgresStore({ url: config.url, ...(config.schema ? { schema: config.schema } : {}) });
  try {
    await store.migrate();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
  return store;
}
