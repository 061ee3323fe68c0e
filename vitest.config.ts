import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    globalSetup: [],
    testTimeout: 30_000,
    // Most files wait on servers and child processes, not the CPU: two at once on two cores halves the wall time.
    maxWorkers: 2,
    hookTimeout: 180_000,
  },
});
