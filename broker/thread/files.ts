import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { MimamoriError, ErrorCodes, type ErrorCode } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { packageRoot } from '../../core/paths.js'

/** The compiled worker; under vitest the sources are .ts, so the build is used (as vision/pool.ts does). */
export function brokerWorkerFile (): string {
  const here = fileURLToPath(new URL('./worker.js', import.meta.url))
  if (existsSync(here)) return here
  const built = join(packageRoot(), 'dist', 'broker', 'thread', 'worker.js')
  if (existsSync(built)) return built
  throw new MimamoriError('MIMAMORI_ERR_BROKER_THREAD', `broker worker not built (${built}); run npm run build`)
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' }

/** one JSON record of the broker thread's pino, printed by the main thread's logger with its fields */
export function relayLog (logger: Logger, line: string): void {
  let rec: Record<string, unknown>
  try {
    rec = JSON.parse(line) as Record<string, unknown>
  } catch {
    logger.info({ component: 'broker-thread' }, line.trim())
    return
  }
  const { level, msg, time: _time, pid: _pid, hostname: _host, ...fields } = rec
  const method = LEVELS[typeof level === 'number' ? level : 30] ?? 'info'
  logger[method](fields, typeof msg === 'string' ? msg : '')
}

/** an error the broker thread reported, coded again when its code is one of ours */
export function toError (e: { code: string, message: string }): Error {
  return e.code in ErrorCodes ? new MimamoriError(e.code as ErrorCode, e.message) : new Error(e.message)
}
