import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers; a slow CI core must not fail them on time.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // `npx vitest run …` skips npm's pretest check: say what is missing once, up front (test/helpers/prereqs.ts)
    globalSetup: ['test/helpers/prereqs.ts'],
    reporters: ['default']
  }
})
