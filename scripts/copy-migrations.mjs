// Copies the store's SQL migrations (one source for both adapters, rendered per engine when read) next to
// the compiled code: tsc copies only .ts output.
import { cpSync } from 'node:fs';

cpSync('src/store/migrations', 'dist/store/migrations', { recursive: true });
