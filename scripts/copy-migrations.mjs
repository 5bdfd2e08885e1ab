// Copies each store adapter's SQL migrations next to its compiled code (tsc copies only .ts output).
import { cpSync, readdirSync } from 'node:fs';

for (const adapter of readdirSync('src/store', { withFileTypes: true })) {
  if (!adapter.isDirectory()) continue;
  cpSync(`src/store/${adapter.name}/migrations`, `dist/store/${adapter.name}/migrations`, { recursive: true });
}
