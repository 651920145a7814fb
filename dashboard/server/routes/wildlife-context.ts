import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import type { Config } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import type { Sighting } from '../../../core/types.js'
import type { Alerts } from '../../../alerts/index.js'
import type { WildlifeRepo } from '../../../store/wildlife.js'
import type { SseHub } from '../sse.js'
import type { HunterSsePayloads } from '../../contract/events.js'
import { hunterScope } from '../auth/scope.js'

/** the Fastify instance a wildlife plugin registers on */
export type WildlifeApp = Parameters<FastifyPluginAsyncTypebox>[0]

export const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })
export const Uuidish = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })

export const iso = (t: number): string => new Date(t).toISOString()

/** what the sighting and hunter routes share: the repo, the sighting view and the per-hunter streams */
export interface WildlifeContext {
  config: Config
  alerts: Alerts
  repo: WildlifeRepo
  hunterHubs: Map<string, SseHub<HunterSsePayloads>>
  view(s: Sighting): ReturnType<typeof sightingView>
  /** a hunter sees that a sighting reached them, not which other hunters it reached */
  scoped<T extends { hunters: string[] }>(request: FastifyRequest, v: T): T
  assertInOwnArea(request: FastifyRequest, s: Sighting): void
}

function sightingView (config: Config, alerts: Alerts, s: Sighting) {
  const alert = s.alertId === null ? undefined : alerts.get(s.alertId)
  const camera = config.cameras.find(c => c.id === s.cameraId)
  return {
    ...s,
    camera: camera === undefined ? null : { name: camera.name, nameEn: camera.nameEn },
    time: iso(s.time),
    thumbnailUrl: s.thumbnail === null ? null : `/api/wildlife/sightings/${s.id}/thumbnail.jpg`,
    alert: alert === undefined ? null : { id: alert.id, state: alert.state, drill: alert.drill, acknowledgedBy: alert.acknowledgedBy }
  }
}

export function wildlifeContext (config: Config, alerts: Alerts, repo: WildlifeRepo): WildlifeContext {
  return {
    config,
    alerts,
    repo,
    hunterHubs: new Map(),
    view: s => sightingView(config, alerts, s),
    scoped (request, v) {
      const own = hunterScope(request)
      return own === undefined ? v : { ...v, hunters: v.hunters.filter(h => h === own) }
    },
    assertInOwnArea (request, s) {
      const own = hunterScope(request)
      if (own !== undefined && !s.hunters.includes(own)) throw new MimamoriError('MIMAMORI_ERR_FORBIDDEN', 'this sighting is outside your areas')
    }
  }
}
