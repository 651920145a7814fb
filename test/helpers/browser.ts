import { existsSync } from 'node:fs'
import { chromium, type Browser } from 'playwright-core'

export const CHROMIUM = process.env.MIMAMORI_CHROMIUM ?? '/usr/bin/chromium'

/**
 * Debian's Chromium, headless, with the flags that keep it off the (closed) network.
 * `extraArgs`: e.g. `--host-resolver-rules=MAP bousai.lan 127.0.0.1`, to open the
 * dashboard under a network name (plain HTTP there is not a secure context).
 */
export async function launchChromium (extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install the Debian package (apt-get install chromium) or set MIMAMORI_CHROMIUM`)
  }
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...extraArgs]
  })
}
