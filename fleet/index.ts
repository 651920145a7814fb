import type { EventBus } from '../core/bus.js'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { Store } from '../store/store.js'
import { createHttpIntake, type HttpIntake } from './http.js'
import { createPhotoIntake, type IntakeStats, type PhotoSubmit } from './photos.js'
import { createSmtpIntake, type SmtpIntake } from './smtp.js'

export type { PhotoSubmit } from './photos.js'

/**
 * Trail cameras a town buys (docs/fleet.md): an SMTP mailbox and an HTTP upload
 * endpoint, each on its own listener, feeding photos into the camera pipeline
 * through `submit` (the process wiring passes ingest's in-process intake).
 */
export interface TrailCameraIntake {
  start(): Promise<{ smtpPort: number | null, httpUrl: string | null }>
  close(): Promise<void>
  readonly stats: IntakeStats
}

export function createTrailCameraIntake ({ config, logger, bus, store, submit }: { config: Config, logger: Logger, bus: EventBus, store: Store, submit: PhotoSubmit }): TrailCameraIntake {
  const intake = createPhotoIntake({ config, logger, bus, store, submit })
  const smtp: SmtpIntake | undefined = config.intake.smtp.enabled ? createSmtpIntake({ config, logger, intake }) : undefined
  const http: HttpIntake | undefined = config.intake.http.enabled ? createHttpIntake({ config, logger, intake }) : undefined
  let closing: Promise<void> | undefined
  return {
    stats: intake.stats,
    async start () {
      const s = await smtp?.start()
      const h = await http?.start()
      return { smtpPort: s?.port ?? null, httpUrl: h?.url ?? null }
    },
    async close () {
      closing ??= (async () => {
        await smtp?.close()
        await http?.close()
      })()
      return await closing
    }
  }
}
