import { Type, type Static } from 'typebox'

/**
 * The one configuration schema. Every key has a default so `mimamori start`
 * runs with no file at all; units are in the key name or the description.
 */
const Port = Type.Integer({ minimum: 0, maximum: 65535, description: 'TCP port; 0 picks a free one' })

export const ThresholdsSchema = Type.Object({
  observationStart: Type.Optional(Type.Number({ description: '観測開始水位, m' })),
  standby: Type.Number({ description: '水防団待機水位, m' }),
  caution: Type.Number({ description: '氾濫注意水位 (Lv2), m' }),
  evacuationJudgement: Type.Number({ description: '避難判断水位 (Lv3), m' }),
  danger: Type.Number({ description: '氾濫危険水位 (Lv4), m' }),
  flooding: Type.Number({ description: '氾濫発生 (Lv5) bank level, m' })
}, { additionalProperties: false })

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })

export const StationSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  nameEn: Type.String({ minLength: 1 }),
  river: Type.String({ minLength: 1 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  deviceId: Id,
  datum: Type.Number({ description: 'gauge zero elevation, m T.P.' }),
  sensorHeight: Type.Number({ exclusiveMinimum: 0, description: 'sensor face above gauge zero, m' }),
  thresholds: ThresholdsSchema
}, { additionalProperties: false })

export const CameraSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  nameEn: Type.String({ minLength: 1 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 })
}, { additionalProperties: false })

export const ConfigSchema = Type.Object({
  dataDir: Type.String({ default: './data', description: 'embedded database and images live here' }),
  log: Type.Object({
    level: Type.Union([
      Type.Literal('fatal'), Type.Literal('error'), Type.Literal('warn'), Type.Literal('info'),
      Type.Literal('debug'), Type.Literal('trace'), Type.Literal('silent')
    ], { default: 'info' }),
    pretty: Type.Boolean({ default: false, description: 'colourful single-line logs for a terminal' })
  }, { additionalProperties: false, default: {} }),
  broker: Type.Object({
    host: Type.String({ default: '127.0.0.1', description: 'use 0.0.0.0 to accept devices from the network' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 1883 }),
    wsPort: Type.Integer({ minimum: 0, maximum: 65535, default: 8083, description: 'MQTT over WebSocket, path /mqtt' }),
    allowAnonymous: Type.Boolean({ default: true, description: 'demo only: any client may connect' }),
    maxPacketBytes: Type.Integer({ minimum: 1024, default: 2_500_000, description: 'largest MQTT packet accepted, bytes' })
  }, { additionalProperties: false, default: {} }),
  ingest: Type.Object({
    mqttUrl: Type.String({ default: '', description: 'broker to subscribe to; empty = the local broker' }),
    clientId: Type.String({ default: 'mimamori-ingest' }),
    username: Type.String({ default: '' }),
    password: Type.String({ default: '' }),
    maxImageBytes: Type.Integer({ minimum: 1024, default: 2_097_152, description: 'camera images above this are rejected' }),
    lateAfterMs: Type.Integer({ minimum: 0, default: 3_600_000, description: 'frames older than this are stored but marked late' })
  }, { additionalProperties: false, default: {} }),
  store: Type.Object({
    backend: Type.Literal('embedded', { default: 'embedded' }),
    file: Type.String({ default: 'mimamori.db', description: 'relative to dataDir' })
  }, { additionalProperties: false, default: {} }),
  dashboard: Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
    mqttUrl: Type.String({ default: '', description: 'separate-process mode: broker to follow for live events' }),
    map: Type.Object({
      center: Type.Tuple([Type.Number(), Type.Number()], { default: [38.727, 139.827] }),
      zoom: Type.Integer({ minimum: 1, maximum: 19, default: 12 }),
      tileUrl: Type.String({ default: '', description: 'e.g. https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png; empty = offline base layer' }),
      tileAttribution: Type.String({ default: '' })
    }, { additionalProperties: false, default: {} })
  }, { additionalProperties: false, default: {} }),
  sim: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'run the demo fleet inside `mimamori start`' }),
    mqttUrl: Type.String({ default: '', description: 'empty = the local broker' }),
    gaugeIntervalMs: Type.Integer({ minimum: 1000, default: 60_000, description: 'demo fleet: time between gauge uplinks; frames carry minute timestamps, so below 60000 same-minute frames are duplicates' }),
    cameraIntervalMs: Type.Integer({ minimum: 100, default: 30_000, description: 'demo fleet: time between camera bursts' })
  }, { additionalProperties: false, default: {} }),
  stations: Type.Array(StationSchema, { default: [] }),
  cameras: Type.Array(CameraSchema, { default: [] })
}, { additionalProperties: false })

export type Config = Static<typeof ConfigSchema>
export type StationConfig = Static<typeof StationSchema>
