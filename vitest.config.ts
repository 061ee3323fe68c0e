import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.spec.ts'],
    globalSetup: [],
    testTimeout: 30_000,
    hookTimeout: 180_000,
  },
});
