import { defineConfig } from 'vitest/config';

// The reliability and security suite (`npm run test:reliability`): slower, so not in `npm test`.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    // Two cores: these files are heavy; running them one or two at a time keeps timings honest.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
