/**
 * vitest globalSetup: a run started with `npx vitest run …` (not `npm test`) still
 * gets the one-line list of missing servers and shared data (scripts/check-prereqs.mjs)
 * before any test fails on it. Only a warning: a single unit test file may need none of it.
 */
export default async function setup (): Promise<void> {
  if (process.env.MIMAMORI_SKIP_PREREQS === '1') return
  // @ts-expect-error plain JavaScript module without types (it runs before tsc has built anything)
  const { checkPrereqs } = await import('../../scripts/check-prereqs.mjs') as { checkPrereqs: () => string | undefined }
  const line = checkPrereqs()
  if (line !== undefined) process.stderr.write(`\n${line}\n\n`)
}
