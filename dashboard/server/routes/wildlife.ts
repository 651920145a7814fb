import { resolve } from 'node:path'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { EventBus } from '../../../core/bus.js'
import type { Config } from '../../../core/config/schema.js'
import type { Alerts } from '../../../alerts/index.js'
import { openWildlifeRepo } from '../../../store/wildlife.js'
import type { SseHub } from '../sse.js'
import type { SsePayloads } from '../../contract/events.js'
import { wildlifeContext } from './wildlife-context.js'
import { sightingRoutes } from './wildlife-sightings.js'
import { hunterRoutes } from './wildlife-hunters.js'

/**
 * Wildlife API: sightings, detections, hunters and their areas, feedback and
 * precision, and a per-hunter SSE stream that carries only the alerts whose
 * camera lies in one of that hunter's areas.
 */
export const wildlifeRoutes: FastifyPluginAsyncTypebox<{ config: Config, bus: EventBus, hub: SseHub<SsePayloads>, alerts: Alerts }> = async (app, { config, bus, hub, alerts }) => {
  const repo = openWildlifeRepo(resolve(config.dataDir, config.store.file))
  const ctx = wildlifeContext(config, alerts, repo)
  const busKey = {}
  bus.on('sighting', busKey, ({ sighting }) => {
    hub.broadcast('sighting', ctx.view(sighting))
    if (sighting.suppressed) return
    for (const h of sighting.hunters) ctx.hunterHubs.get(h)?.broadcast('wildlifeAlert', { ...ctx.view(sighting), hunters: [h] })
  })
  app.addHook('onClose', async () => {
    bus.removeListeners(busKey)
    for (const h of ctx.hunterHubs.values()) h.close()
    repo.close()
  })
  // in this plugin's scope, in the order they always had (OpenAPI lists them so)
  sightingRoutes(app, ctx)
  hunterRoutes(app, ctx)
}
