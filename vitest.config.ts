import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // kafkajs 2.2.4 sets negative timeouts on Node >= 24 (upstream issue 1751); Node clamps them to 1 ms, harmlessly.
    execArgv: ['--disable-warning=TimeoutNegativeWarning'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-stack.ts'],
          // Real brokers and servers answer in milliseconds but start in seconds; two cores run everything.
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
