import { resolve } from 'node:path'
import type { FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Store } from '../../store/store.js'
import type { Alerts } from '../../alerts/index.js'
import type { NotificationsPort } from '../../core/notify-types.js'
import type { DeviceAccounts } from '../../core/fleet/types.js'
import type { SsePayloads } from '../contract/events.js'
import { BinaryBody, ServerInfoBody } from '../contract/schemas.js'
import { MapSettingsBody } from '../contract/misc.js'
import type { ServerInfo } from '../contract/server-info.js'
import type { SseHub } from './sse.js'
import { READERS, SIGNED_IN } from './auth/access.js'
import { exportRoutes } from './routes/export.js'
import { historyRoutes } from './routes/history.js'
import { evaluateRoutes } from './routes/evaluate.js'
import { stationRoutes, type DeviceStatusLookup, type SendDownlink } from './routes/stations.js'
import { cameraRoutes } from './routes/cameras.js'
import { eventRoutes } from './routes/events.js'
import { healthRoutes, type HealthSource } from './routes/health.js'
import { mqttAdminRoutes, type UnlockMqtt } from './routes/mqtt-admin.js'
import { alertRoutes } from './routes/alerts.js'
import { lorawanRoutes, type ForwardUplink } from './routes/lorawan.js'
import { wildlifeRoutes } from './routes/wildlife.js'
import { notifyRoutes } from './routes/notify.js'
import { officialRoutes } from './routes/official.js'
import { fleetRoutes } from './routes/fleet.js'

export interface RouteDeps {
  config: Config
  bus: EventBus
  store: Store
  hub: SseHub<SsePayloads>
  alerts: Alerts
  notifier: NotificationsPort
  devices: DeviceStatusLookup
  startedAt: number
  /** the health figures the routes and /metrics share */
  health: HealthSource
  metrics: { contentType: string, render(): Promise<string> }
  networkBind: boolean
  sendDownlink?: SendDownlink | undefined
  forwardUplink?: ForwardUplink | undefined
  unlockMqtt?: UnlockMqtt | undefined
  deviceAccounts?: DeviceAccounts | undefined
}

/** Every API route group, each a plugin of its own (routes/*.ts), in the order OpenAPI lists them. */
export function registerRoutes (app: FastifyInstance, d: RouteDeps): void {
  const { config, bus, store, hub, alerts, devices } = d
  void app.register(stationRoutes, { store, devices, ...(d.sendDownlink === undefined ? {} : { sendDownlink: d.sendDownlink }) })
  void app.register(cameraRoutes, { store, dataDir: config.dataDir, devices })
  void app.register(historyRoutes, { store, config })
  void app.register(evaluateRoutes, { store, config })
  void app.register(exportRoutes, { store, file: resolve(config.dataDir, config.store.file) })
  void app.register(eventRoutes, { hub })
  void app.register(alertRoutes, { alerts })
  void app.register(notifyRoutes, { notifier: d.notifier, alerts })
  void app.register(officialRoutes, { config })
  void app.register(wildlifeRoutes, { config, bus, hub, alerts })
  void app.register(lorawanRoutes, { config, forwardUplink: d.forwardUplink })
  void app.register(mqttAdminRoutes, d.unlockMqtt === undefined ? {} : { unlockMqtt: d.unlockMqtt })
  void app.register(fleetRoutes, { store, bus, accounts: d.deviceAccounts })
  void app.register(healthRoutes, { startedAt: d.startedAt, health: d.health })
  // in a plugin like every other route, so OpenAPI (loaded as a plugin too) sees them
  void app.register(async scoped => {
    const typed = scoped.withTypeProvider<TypeBoxTypeProvider>()
    // public: the sign-in and hunter pages warn before a password or a push subscription crosses plain HTTP
    typed.get('/api/server-info', {
      config: { access: 'public' },
      schema: { response: { 200: ServerInfoBody } }
    }, async (request): Promise<ServerInfo> => ({ secure: request.protocol === 'https', networkBind: d.networkBind, demo: config.dashboard.auth.demoLogin }))
    typed.get('/metrics', { config: { access: READERS }, schema: { response: { 200: BinaryBody('Prometheus text exposition format') } } }, async (_request, reply) => await reply.type(d.metrics.contentType).send(await d.metrics.render()))
    typed.get('/api/map', { config: { access: SIGNED_IN }, schema: { response: { 200: MapSettingsBody } } }, async () => ({
      center: config.dashboard.map.center,
      zoom: config.dashboard.map.zoom,
      tileUrl: config.dashboard.map.tileUrl,
      tileAttribution: config.dashboard.map.tileAttribution
    }))
  })
}
