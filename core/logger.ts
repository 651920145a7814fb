import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }

export interface LoggerOptions {
  level: LevelWithSilent
  /** human-readable output for a terminal; JSON lines otherwise */
  pretty: boolean
}

export function createLogger (options: LoggerOptions): Logger {
  if (options.pretty) {
    return pino({
      level: options.level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }
    })
  }
  return pino({ level: options.level })
}

/** A logger that drops everything, for tests that only care about behaviour. */
export function silentLogger (): Logger {
  return pino({ level: 'silent' })
}
