// Copies the store's SQL migrations (one source for both adapters, rendered per engine when read) next to
// the compiled code: tsc copies only .ts output. The destination is emptied first, so a migration renamed or
// removed in src/ does not linger in dist/ and get applied from there.
import { cpSync, rmSync } from 'node:fs';

rmSync('dist/store/migrations', { recursive: true, force: true });
cpSync('src/store/migrations', 'dist/store/migrations', { recursive: true });
