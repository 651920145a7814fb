import { readFileSync } from 'node:fs'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError } from '../../core/errors.js'

/** dashboard.tls → Fastify's `https` options (read once at start, as the broker's mqtts listener does) */
export function httpsOptions (config: Config): { cert: Buffer, key: Buffer } | undefined {
  const tls = config.dashboard.tls
  if (!tls.enabled) return undefined
  if (tls.cert === '' || tls.key === '') throw new MimamoriError('MIMAMORI_ERR_TLS', 'dashboard.tls.enabled needs dashboard.tls.cert and dashboard.tls.key (PEM files)')
  try {
    return { cert: readFileSync(tls.cert), key: readFileSync(tls.key) }
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_TLS', `dashboard TLS: ${(err as Error).message}`, { cause: err })
  }
}
