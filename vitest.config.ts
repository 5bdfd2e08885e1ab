import { defineConfig } from 'vitest/config';

// The suite runs real processes, databases and a browser on two cores: a test that takes 2 s alone can take
// 10 s when the machine is busy. A test that needs longer still says so itself.
export default defineConfig({
  test: { testTimeout: 20_000, hookTimeout: 30_000 },
});
