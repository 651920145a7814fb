import { Type, type Static } from 'typebox'
import { NotifySchema } from './notify-schema.js'
import { TYPE_DEFAULTS, type TypeLimits } from '../river/qc-limits.js'
import { OfficialSchema } from './official-schema.js'
import { retrySettings } from './retry-schema.js'

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

/** QC limits of one station type; defaults from core/river/qc-limits.ts TYPE_DEFAULTS */
function TypeLimitsSchema (d: TypeLimits, what: string) {
  const finite = (x: number): { default: number } | Record<string, never> => Number.isFinite(x) ? { default: x } : {}
  return Type.Object({
    noiseM: Type.Number({ minimum: 0, default: d.noiseM, description: 'steps up to this are range noise whatever the interval, m' }),
    maxRateMPerHour: Type.Number({ exclusiveMinimum: 0, default: d.maxRateMPerHour, description: 'rate of change: a step beyond noiseM + this × Δt is suspect, m/h' }),
    jumpM: Type.Number({ exclusiveMinimum: 0, default: d.jumpM, description: 'jump: a step beyond jumpM + jumpRateMPerHour × Δt opens a spike / obstruction episode, m' }),
    jumpRateMPerHour: Type.Number({ minimum: 0, default: d.jumpRateMPerHour, description: 'how fast the jump limit grows with the time since the last good reading, m/h' }),
    obstructionMaxMinutes: Type.Number({ minimum: 0, default: d.obstructionMaxMinutes, description: 'a jump whose level keeps moving (not a fixed echo) this long is accepted as real water, min' }),
    minLevel: Type.Optional(Type.Number({ ...finite(d.minLevel), description: 'gross range lower limit when the station sets none, m' })),
    zeroLevel: Type.Optional(Type.Number({ ...finite(d.zeroLevel), description: 'sensor zero: threshold hysteresis never reaches it, m' }))
  }, { additionalProperties: false, default: {}, description: what })
}

const Id = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })

export const StationSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  nameEn: Type.String({ minLength: 1 }),
  river: Type.String({ minLength: 1 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  deviceId: Id,
  devEui: Type.Optional(Type.String({ pattern: '^[0-9A-Fa-f]{16}$', description: 'LoRaWAN DevEUI (16 hex digits) when the gauge reports through ChirpStack; a deviceId that is itself a DevEUI also matches' })),
  datum: Type.Number({ description: 'gauge zero elevation, m T.P.' }),
  sensorHeight: Type.Number({ exclusiveMinimum: 0, description: 'sensor face above gauge zero, m' }),
  sensorRangeM: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'maximum range of the sensor, m (a distance at or beyond it is a no-echo value: the level fails QC gross range)' })),
  profile: Type.Optional(Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'vendor device profile (docs/devices.md, `GET /api/devices/profiles`): the LoRaWAN sensor at devEui reports through that profile\'s codec; unset = our gauge frame v1' })),
  installOffsetM: Type.Optional(Type.Number({ description: 'profile install geometry for a depth (pressure) or level sensor: the probe / zero above the gauge zero, m (default 0); a distance sensor uses sensorHeight (level = sensorHeight − distance)' })),
  thresholds: ThresholdsSchema,
  type: Type.Optional(Type.Union([Type.Literal('river'), Type.Literal('street')], { description: 'station type: river gauge (default) or street-depth sensor; picks the QC limits river.qc.types.<type>' })),
  drill: Type.Optional(Type.Boolean({ description: '訓練局: a station for drills and replays (`mimamori sim replay --drill`); all its river alerts are raised as drills' })),
  tuning: Type.Optional(Type.Object({
    minLevel: Type.Optional(Type.Number({ description: 'QC gross range: lower limit, m (river bed / street surface)' })),
    maxLevel: Type.Optional(Type.Number({ description: 'QC gross range: upper limit, m; default sensor height − river.qc.blankingM' })),
    maxRateMPerHour: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    jumpM: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    jumpRateMPerHour: Type.Optional(Type.Number({ minimum: 0 })),
    noiseM: Type.Optional(Type.Number({ minimum: 0 })),
    zeroLevel: Type.Optional(Type.Number({ description: 'the sensor zero (street surface for a depth sensor): threshold hysteresis never reaches it, m' })),
    rateOfRiseMPerHour: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    hysteresisM: Type.Optional(Type.Number({ minimum: 0 })),
    silentAfterMinutes: Type.Optional(Type.Number({ exclusiveMinimum: 0 }))
  }, { additionalProperties: false, description: 'per-station overrides of the river QC / rule settings' }))
}, { additionalProperties: false })

export const CameraSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1 }),
  nameEn: Type.String({ minLength: 1 }),
  lat: Type.Number({ minimum: -90, maximum: 90 }),
  lon: Type.Number({ minimum: -180, maximum: 180 }),
  onDeviceInference: Type.Optional(Type.Boolean({ description: 'metered link: the camera runs the model itself and sends only detections + a thumbnail (mmr/v1/camera/{id}/detection); docs/wildlife.md' })),
  drill: Type.Optional(Type.Boolean({ description: '訓練: a camera for drills and demonstrations; every wildlife alert it raises is a drill' }))
}, { additionalProperties: false })

/** A vendor device profile beyond the built-in ones (codecs/vendor/profiles.ts); docs/devices.md. */
export const DeviceProfileSchema = Type.Object({
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$' }),
  vendor: Type.String({ minLength: 1 }),
  model: Type.String({ minLength: 1 }),
  codec: Type.String({ minLength: 1, description: 'codec id: `<vendor folder>/<name>` of its `<name>-codec.yaml`' }),
  measures: Type.Union([Type.Literal('distance'), Type.Literal('level'), Type.Literal('depth')]),
  field: Type.String({ minLength: 1, description: 'decoded field (dotted path); a number, a numeric string with a unit ("2799 mm") or { value, unit }' }),
  unit: Type.Union([Type.Literal('mm'), Type.Literal('cm'), Type.Literal('m'), Type.Literal('bar'), Type.Literal('mbar'), Type.Literal('kPa')]),
  battery: Type.Optional(Type.Object({
    field: Type.String(),
    unit: Type.Union([Type.Literal('V'), Type.Literal('mV'), Type.Literal('%')]),
    // the device's own battery chemistry: QC's river.qc battery limits are for our gauge's 3.6 V lithium cell
    suspectV: Type.Optional(Type.Number({ description: 'below: suspect (replaces river.qc.batterySuspectV for stations with this profile)' })),
    failV: Type.Optional(Type.Number({ description: 'below: fail (replaces river.qc.batteryFailV for stations with this profile)' }))
  }, { additionalProperties: false })),
  temperature: Type.Optional(Type.Object({ field: Type.String() }, { additionalProperties: false })),
  discard: Type.Optional(Type.Array(Type.Object({ field: Type.String(), equals: Type.Union([Type.String(), Type.Number(), Type.Boolean()]) }, { additionalProperties: false }), { description: 'a decoded field with this value makes the uplink a gap (QC flag 9), e.g. a tilted sensor' }))
}, { additionalProperties: false })

export const LorawanSchema = Type.Object({
  builtInCodecs: Type.Boolean({ default: true, description: 'load our codecs for the supported sensors (codecs/vendor/devices)' }),
  codecFolders: Type.Array(Type.String(), { default: [], description: 'folders of codec plug-ins in The Things Network device-repository format (`<name>-codec.yaml` with examples + the JS it names); relative to the working directory' }),
  vendorExamplesDir: Type.Optional(Type.String({ description: 'device-repository YAMLs that a codec\'s `uplinkDecoder.vendorExamples` names; their examples must pass too (e.g. $MIMAMORI_SHARED/devices/lorawan)' })),
  sandbox: Type.Object({
    cpuMs: Type.Integer({ minimum: 1, default: 100, description: 'CPU time per decode before the codec is stopped (MIMAMORI_ERR_CODEC_TIMEOUT)' }),
    memoryMb: Type.Integer({ minimum: 1, default: 16, description: 'heap of each codec\'s sandbox' }),
    maxResultKb: Type.Integer({ minimum: 1, default: 64, description: 'largest decoded result (JSON) accepted' }),
    quarantineAfter: Type.Integer({ minimum: 1, default: 3, description: 'a codec stopped (time or memory limit) this many times in a row is paused, so a hostile codec cannot take cpuMs of ingest per uplink' }),
    quarantineS: Type.Integer({ minimum: 1, default: 600, description: 'how long a paused codec stays paused; its uplinks are refused (MIMAMORI_ERR_CODEC_QUARANTINED) meanwhile' })
  }, { additionalProperties: false, default: {} }),
  profiles: Type.Array(DeviceProfileSchema, { default: [], description: 'device profiles beyond the built-in ones' }),
  tts: Type.Object({
    url: Type.String({ default: '', description: 'The Things Stack MQTT server to subscribe to (e.g. mqtts://eu1.cloud.thethings.network:8883); empty = off. Ingest subscribes to v3/+/devices/+/up' }),
    username: Type.String({ default: '', description: 'TTS MQTT user name: {application id}@{tenant id} (ttn on The Things Network)' }),
    password: Type.String({ default: '', description: 'a TTS API key with "read application traffic" rights (MIMAMORI_LORAWAN__TTS_PASSWORD)' })
  }, { additionalProperties: false, default: {} }),
  dedupeDays: Type.Number({ exclusiveMinimum: 0, default: 7, description: 'an uplink (DevEUI + frame counter + payload) heard again within this long is a duplicate' }),
  webhook: Type.Object({
    secrets: Type.Array(Type.Object({ id: Type.String({ minLength: 1 }), secret: Type.String({ minLength: 16 }) }, { additionalProperties: false }), { default: [], description: 'generic uplink webhook (POST /api/lorawan/uplink): HMAC-SHA256 keys, chosen by the X-Mimamori-Key header' }),
    ttsToken: Type.Optional(Type.String({ minLength: 16, description: 'The Things Stack webhook (POST /api/lorawan/tts): the X-Mimamori-Token value configured as a webhook header' })),
    replayWindowS: Type.Integer({ minimum: 10, default: 300, description: 'a signed request older or newer than this is refused' })
  }, { additionalProperties: false, default: {} })
}, { additionalProperties: false, default: {} })

const Lat = Type.Number({ minimum: -90, maximum: 90 })
const Lon = Type.Number({ minimum: -180, maximum: 180 })

/** a hunter's area: a circle, or a polygon of [lat, lon] points (WGS 84) */
export const AreaShapeSchema = Type.Union([
  Type.Object({ type: Type.Literal('circle'), lat: Lat, lon: Lon, radiusM: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }) }, { additionalProperties: false }),
  Type.Object({ type: Type.Literal('polygon'), points: Type.Array(Type.Tuple([Lat, Lon]), { minItems: 3, maxItems: 500 }) }, { additionalProperties: false })
])

export const HunterSchema = Type.Object({
  id: Id,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  contact: Type.Optional(Type.String({ maxLength: 200 })),
  areas: Type.Array(Type.Object({ name: Type.Optional(Type.String({ maxLength: 200 })), shape: AreaShapeSchema }, { additionalProperties: false }), { default: [] })
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
    allowAnonymous: Type.Boolean({ default: false, description: 'demo only (config/demo.json turns it on): any client may connect without credentials' }),
    maxPacketBytes: Type.Integer({ minimum: 1024, default: 2_500_000, description: 'largest MQTT packet accepted on any listener, bytes; checked on the fixed header before the body is buffered' }),
    id: Type.String({ default: '', description: 'broker id; empty = mimamori-<host>-<pid>. Must differ between brokers of a cluster' }),
    thread: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], { default: 'auto', description: 'all-in-one (mimamori start): run the broker in its own worker thread so it and ingest/store/dashboard use two cores; auto = on when os.availableParallelism() ≥ 2. The separate commands (mimamori broker, ingest) ignore it' }),
    heartbeatMs: Type.Integer({ minimum: 100, default: 60_000, description: 'broker heartbeat (aedes heartbeatInterval): a broker silent for 3× this is dead, and the wills of its clients are published by another broker (or by itself after a restart) within 4× this' }),
    tls: Type.Object({
      enabled: Type.Boolean({ default: false, description: 'MQTT over TLS (mqtts) listener' }),
      port: Port,
      cert: Type.String({ default: '', description: 'PEM certificate chain file' }),
      key: Type.String({ default: '', description: 'PEM private key file' })
    }, { additionalProperties: false, default: { port: 8883 } }),
    limits: Type.Object({
      maxConnections: Type.Integer({ minimum: 1, default: 20_000, description: 'connections above this are closed on accept' }),
      keepaliveMaxS: Type.Integer({ minimum: 0, maximum: 65535, default: 0, description: 'largest keep-alive a client may ask for, s; 0 = any (a client sending 0 is then allowed)' }),
      connectTimeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'a socket must send CONNECT within this' }),
      maxInflightInbound: Type.Integer({ minimum: 0, default: 1000, description: 'QoS 2 messages a client may hold awaiting PUBREL' }),
      deliveryConcurrency: Type.Integer({ minimum: 0, default: 0, description: 'messages in fan-out at once (aedes concurrency); 0 = unbounded, back-pressure comes from subscriber sockets (docs/broker.md#benchmark)' }),
      gaugePayloadBytes: Type.Integer({ minimum: 11, default: 256, description: 'largest payload on mmr/v1/gauge/+/up and any .../down' }),
      statusPayloadBytes: Type.Integer({ minimum: 16, default: 1024, description: 'largest payload on .../status and .../meta' }),
      imagePayloadBytes: Type.Integer({ minimum: 1024, default: 2_200_000, description: 'largest payload on mmr/v1/camera/+/image (JPEG + envelope) and mmr/v1/camera/+/detection (results + thumbnail)' }),
      otherPayloadBytes: Type.Integer({ minimum: 64, default: 65_536, description: 'largest payload on any other topic (service events, ChirpStack)' }),
      authFailures: Type.Integer({ minimum: 1, default: 10, description: 'full secret checks that may fail per client address per authWindowMs; each is counted before it runs, further CONNECTs from that address are refused unchecked unless their secret is one that verified before (known-good cache)' }),
      authDeviceFailures: Type.Integer({ minimum: 1, default: 5, description: 'failed checks per account id before its back-off (1 s doubling up to authWindowMs); the known-good secret still passes' }),
      authWindowMs: Type.Integer({ minimum: 1000, default: 60_000 })
    }, { additionalProperties: false, default: {} }),
    persistence: Type.Object({
      backend: Type.Union([Type.Literal('memory'), Type.Literal('level'), Type.Literal('redis')], { default: 'level', description: 'QoS 1/2 sessions, retained messages and subscriptions; level = files under dataDir, redis = broker.cluster.redisUrl' }),
      dir: Type.String({ default: 'broker', description: 'level backend: directory relative to dataDir' })
    }, { additionalProperties: false, default: {} }),
    cluster: Type.Object({
      redisUrl: Type.String({ default: '', description: 'redis://host:port; set = cluster mode: brokers share messages (mqemitter-redis) and uplinks go to a Redis stream for ingest workers' }),
      stream: Type.String({ default: 'mmr:uplinks', description: 'Redis stream the brokers append device uplinks to' }),
      group: Type.String({ default: 'mimamori-ingest', description: 'consumer group of the ingest workers' }),
      streamMaxLen: Type.Integer({ minimum: 1000, default: 1_000_000, description: 'approximate cap on stream length' }),
      claimIdleMs: Type.Integer({ minimum: 100, default: 30_000, description: 'a worker takes over entries another worker left unacknowledged this long (crashed worker)' })
    }, { additionalProperties: false, default: {} })
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
    backend: Type.Union([Type.Literal('embedded'), Type.Literal('influxdb')], { default: 'embedded', description: 'time series backend; app state always stays in the embedded file' }),
    file: Type.String({ default: 'mimamori.db', description: 'relative to dataDir' }),
    influx: Type.Object({
      url: Type.String({ default: 'http://127.0.0.1:8086', description: 'base URL for writes (POST /api/v2/write): InfluxDB 2.x/3.x, 1.8+, VictoriaMetrics' }),
      token: Type.String({ default: '', description: 'API token (Authorization: Token …); empty for none' }),
      org: Type.String({ default: 'mimamori' }),
      bucket: Type.String({ default: 'mimamori' }),
      precision: Type.Union([Type.Literal('s'), Type.Literal('ms'), Type.Literal('us'), Type.Literal('ns')], { default: 'ms', description: 'timestamp precision of written lines' }),
      measurement: Type.String({ default: 'water_level', minLength: 1 }),
      detectionMeasurement: Type.String({ default: 'wildlife_detection', minLength: 1, description: 'measurement of the per-frame wildlife detection points' }),
      queryUrl: Type.String({ default: '', description: 'base URL for InfluxQL reads (GET /query); empty = url' }),
      database: Type.String({ default: '', description: 'InfluxQL database (DBRP on 2.x); empty = bucket' }),
      batchSize: Type.Integer({ minimum: 1, maximum: 50_000, default: 5000, description: 'outbox lines per write request (InfluxDB recommends 5000)' }),
      inFlight: Type.Integer({ minimum: 1, maximum: 16, default: 1, description: 'outbox write requests in flight at once (a time-series database orders points by their own timestamps, not by arrival); more than 1 showed no gain with the database on the same 2 cores (bench/README.md)' }),
      flushIntervalMs: Type.Integer({ minimum: 10, default: 1000, description: 'outbox poll interval when idle, ms' }),
      paceTargetMs: Type.Integer({ minimum: 100, default: 1000, description: 'while the database is healthy, ingest acknowledges no further ahead of it than the drain delivers in this time (the queue stays on the devices), ms' }),
      ...retrySettings({ timeoutMs: 10_000, retryMinMs: 250, retryMaxMs: 30_000 }, { request: 'HTTP timeout per request', failure: 'write', ceiling: '; retries never stop' }),
      gzip: Type.Union([Type.Literal('auto'), Type.Literal('on'), Type.Literal('off')], { default: 'auto', description: 'gzip the write bodies: auto = off when url is localhost or a loopback/private IP (the CPU costs more than the bytes), on otherwise' }),
      keepSentDays: Type.Number({ minimum: 0, default: 46, description: 'delivered rows kept in the outbox as the duplicate ledger (frame time tags span 45.5 days)' }),
      closeFlushMs: Type.Integer({ minimum: 0, default: 5000, description: 'on shutdown, try this long to drain; what is left is sent on next start' })
    }, { additionalProperties: false, default: {} })
  }, { additionalProperties: false, default: {} }),
  dashboard: Type.Object({
    host: Type.String({ default: '127.0.0.1' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 3000 }),
    mqttUrl: Type.String({ default: '', description: 'separate-process mode: broker to follow for live events' }),
    mqttUsername: Type.String({ default: '', description: 'separate-process mode: service account (role dashboard) on the broker' }),
    mqttPassword: Type.String({ default: '' }),
    map: Type.Object({
      center: Type.Tuple([Type.Number(), Type.Number()], { default: [38.727, 139.827] }),
      zoom: Type.Integer({ minimum: 1, maximum: 19, default: 12 }),
      tileUrl: Type.String({ default: '', description: 'e.g. https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png; empty = offline base layer' }),
      tileAttribution: Type.String({ default: '' })
    }, { additionalProperties: false, default: {} }),
    tls: Type.Object({
      enabled: Type.Boolean({ default: false, description: 'serve the dashboard over HTTPS (session cookies become Secure)' }),
      cert: Type.String({ default: '', description: 'PEM certificate chain file' }),
      key: Type.String({ default: '', description: 'PEM private key file' })
    }, { additionalProperties: false, default: {} }),
    trustProxy: Type.Union([Type.Boolean(), Type.String()], { default: false, description: 'behind a reverse proxy: true, or the proxy addresses/CIDRs (e.g. "127.0.0.1"); client address and https come from X-Forwarded-* (docs/security.md)' }),
    auth: Type.Object({
      demoLogin: Type.Boolean({ default: false, description: 'demo only (config/demo.json turns it on): a one-time link printed at start signs a browser on this machine in as the demo staff user (loopback peer and token both required); refused unless dashboard.host is loopback and trustProxy is off' }),
      sessionIdleMinutes: Type.Integer({ minimum: 1, default: 30, description: 'a session unused this long ends, min' }),
      sessionMaxHours: Type.Integer({ minimum: 1, default: 12, description: 'a session ends this long after sign-in whatever its use, h' }),
      sessionSecretFile: Type.String({ default: '', description: 'file with the cookie-signing secret (≥ 32 characters); empty = dataDir/dashboard-session.key, created on first start' }),
      loginMaxPerAccount: Type.Integer({ minimum: 1, default: 10, description: 'failed sign-ins per account in loginWindowS before clients the account has not signed in from get 429 (a known device still passes; admins unlock)' }),
      loginMaxPerAddress: Type.Integer({ minimum: 1, default: 30, description: 'failed sign-ins per client address in loginWindowS before 429' }),
      loginWindowS: Type.Integer({ minimum: 1, default: 900, description: 'window of the sign-in counters, s' })
    }, { additionalProperties: false, default: {} }),
    sse: Type.Object({
      maxClients: Type.Integer({ minimum: 1, default: 500, description: 'live event streams open at once, all users together; more get 429' }),
      maxPerUser: Type.Integer({ minimum: 1, default: 8, description: 'live event streams one user (or one address without a user) may hold' })
    }, { additionalProperties: false, default: {} })
  }, { additionalProperties: false, default: {} }),
  sim: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'run the demo fleet inside `mimamori start`' }),
    mqttUrl: Type.String({ default: '', description: 'empty = the local broker' }),
    gaugeIntervalMs: Type.Integer({ minimum: 1000, default: 60_000, description: 'demo fleet: time between gauge uplinks; frames carry minute timestamps, so below 60000 same-minute frames are duplicates' }),
    cameraImageDir: Type.String({ default: '', description: 'demo cameras send the JPEGs of this folder in bursts (e.g. ../shared/images); empty = generated field scenes' }),
    camera: Type.Object({
      maxSide: Type.Integer({ minimum: 64, maximum: 8192, default: 1280, description: 'uploaded frames are resized to this longest side, px (never enlarged)' }),
      jpegQuality: Type.Integer({ minimum: 1, maximum: 100, default: 80, description: 'JPEG quality of uploaded frames' }),
      burstFrames: Type.Integer({ minimum: 1, maximum: 16, default: 3, description: 'frames captured per motion trigger' }),
      frameIntervalMs: Type.Integer({ minimum: 1, default: 500, description: 'time between the frames of a burst, ms' }),
      thumbnailSide: Type.Integer({ minimum: 0, maximum: 640, default: 160, description: 'on-device inference: thumbnail of the best positive frame, px; 0 = none' }),
      meanVisitIntervalMs: Type.Integer({ minimum: 1000, default: 120_000, description: 'simulated scene: mean time between animal visits (Poisson arrivals), ms' }),
      visitMs: Type.Integer({ minimum: 100, default: 20_000, description: 'simulated scene: mean duration of a visit (uniform 0.5..1.5 × this), ms' }),
      holdOffMs: Type.Integer({ minimum: 1, default: 15_000, description: 'after a burst the trigger stays off this long; motion still present then fires the next burst, ms' }),
      visitAtStart: Type.Boolean({ default: true, description: 'simulated scene opens with a visit, so each demo camera sends a burst within seconds of start' }),
      seed: Type.Integer({ minimum: 0, default: 0, description: 'simulated scene seed, mixed with the camera id (cameras differ, every run is the same); change it for other visits' })
    }, { additionalProperties: false, default: {}, description: 'camera capture settings (simulator, fleet and edge/camera); docs/wildlife.md §6' })
  }, { additionalProperties: false, default: {} }),
  river: Type.Object({
    qc: Type.Object({
      types: Type.Object({
        river: TypeLimitsSchema(TYPE_DEFAULTS.river, 'river gauge (MLIT 水位, 10-min / hourly)'),
        street: TypeLimitsSchema(TYPE_DEFAULTS.street, 'street-depth sensor (FloodNet-class ultrasonic, ~1 min; level = depth above the street, zero = the street surface)')
      }, { additionalProperties: false, default: {}, description: 'QC limits per station type (stations[].type); steps are judged as allowance + rate × the time since the last good reading, so the verdicts do not depend on the reporting interval' }),
      maxRateMPerHour: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'override of types.*.maxRateMPerHour for every type (older configs), m/h' })),
      jumpM: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'override of types.*.jumpM for every type (older configs), m' })),
      echoToleranceM: Type.Number({ exclusiveMinimum: 0, default: 0.05, description: 'distance sensors: readings within this of an obstruction echo level belong to the echo, m' }),
      obstructionQuietMinutes: Type.Number({ exclusiveMinimum: 0, default: 60, description: 'an obstruction episode ends when no echo was seen for this long (data time), min' }),
      flatLineMinutes: Type.Number({ exclusiveMinimum: 0, default: 720, description: 'identical levels for this long are suspect (stuck sensor), min' }),
      flatLineMinReadings: Type.Integer({ minimum: 2, default: 6 }),
      batterySuspectV: Type.Number({ default: 3.3, description: 'below: suspect' }),
      batteryFailV: Type.Number({ default: 3.0, description: 'below: fail (brown-out readings are noise)' }),
      blankingM: Type.Number({ minimum: 0, default: 0.05, description: 'sensor dead band under the face, m' })
    }, { additionalProperties: false, default: {} }),
    rules: Type.Object({
      enabled: Type.Boolean({ default: true }),
      hysteresisM: Type.Number({ minimum: 0, default: 0.05, description: 'a threshold alert clears only below threshold − this, m' }),
      raiseDwellMinutes: Type.Number({ minimum: 0, default: 0, description: 'level must stay above a threshold this long before firing (pending meanwhile), min' }),
      clearDwellMinutes: Type.Number({ minimum: 0, default: 30, description: 'level must stay below threshold − hysteresis this long before clearing, min' }),
      rateOfRiseMPerHour: Type.Number({ exclusiveMinimum: 0, default: 0.5, description: 'rate-of-rise alert above this, m/h (only above 観測開始水位)' }),
      trendWindowMinutes: Type.Number({ exclusiveMinimum: 0, default: 60, description: 'readings used for rate of rise and forecast, min; widened to hold trendMinReadings at slow cadences' }),
      trendMinReadings: Type.Integer({ minimum: 2, default: 3, description: 'rate of rise and forecast need at least this many trusted readings (hourly data: the last 3 hours)' }),
      trendMaxMinutes: Type.Number({ exclusiveMinimum: 0, default: 240, description: 'the trend never reaches further back than this, whatever the cadence, min' }),
      silentMissedReports: Type.Number({ minimum: 1, default: 3, description: 'silent also when this many of the station\'s usual reporting intervals (median of its recent readings, data time) passed without a frame, but never before silentObserveMinutes' }),
      forecastHorizonHours: Type.Number({ exclusiveMinimum: 0, default: 3, description: 'warn when 氾濫危険水位 is forecast within this, h (MLIT: 3 h)' }),
      silentAfterMinutes: Type.Number({ exclusiveMinimum: 0, default: 1500, description: 'station silent alert in 監視 mode (daily heartbeat + 1 h), min' }),
      silentObserveMinutes: Type.Number({ exclusiveMinimum: 0, default: 40, description: 'station silent alert when last level was above 観測開始水位 (10-min reporting), min' }),
      checkIntervalMs: Type.Integer({ minimum: 100, default: 60_000, description: 'how often silence is checked, ms' }),
      silentStartGraceMinutes: Type.Number({ minimum: 0, default: 10, description: 'after this process starts, a station not heard since is not raised silent by the timer for this long: the platform itself was not listening while it was down (a restart after a power cut), and its gauges are still reconnecting, min' }),
      sensorFaultAfterMissing: Type.Integer({ minimum: 1, default: 3, description: 'this many frames in a row without a level (QC flag 9) raise a sensor fault (センサー異常)' }),
      drill: Type.Boolean({ default: false, description: '訓練 mode: every river alert is raised as a drill' })
    }, { additionalProperties: false, default: {} })
  }, { additionalProperties: false, default: {} }),
  vision: Type.Object({
    enabled: Type.Boolean({ default: true, description: 'run monkey detection on camera images (needs modelPath)' }),
    modelPath: Type.String({ default: './models/mobilenetv2-12-int8.onnx', description: 'ImageNet MobileNetV2 int8 ONNX (Model Zoo, sha256 cc028fe6…); missing file = detection disabled, logged at start' }),
    labelsPath: Type.String({ default: '', description: 'imagenet_synset.txt; empty = beside the model' }),
    detectorPath: Type.String({ default: './models/detector/yolox_nano.onnx', description: 'YOLOX-Nano COCO ONNX as stage 1 (boxes → crops); empty or missing = whole-frame stages only' }),
    workers: Type.Integer({ minimum: 0, maximum: 64, default: 0, description: 'inference worker threads; 0 = one per CPU core' }),
    queueLimit: Type.Integer({ minimum: 1, default: 64, description: 'images waiting for a worker; above it the MQTT ack is held back (back-pressure)' }),
    batchMax: Type.Integer({ minimum: 1, maximum: 64, default: 8, description: 'images a worker takes at once from a backlog' }),
    maxPixels: Type.Integer({ minimum: 1, default: 40_000_000, description: 'width × height above this is refused (decompression bombs)' }),
    maxSide: Type.Integer({ minimum: 16, default: 16_384, description: 'longest image side accepted, px' }),
    wholeThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.02, description: 'monkey score of the centre-cropped frame' }),
    fullFrameThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.1, description: 'monkey score of the letterboxed full frame' }),
    cropThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.15, description: 'monkey score of a detector crop (mean of 6 views)' }),
    detectorMinScore: Type.Number({ minimum: 0, maximum: 1, default: 0.02, description: 'detector boxes below this are not cropped' }),
    maxCrops: Type.Integer({ minimum: 0, maximum: 64, default: 12, description: 'detector boxes cropped per frame' }),
    motion: Type.Boolean({ default: true, description: 'motion regions from the frames of a burst: extra crops; the detector runs only on frames that moved' }),
    staticMinBursts: Type.Integer({ minimum: 0, default: 3, description: 'a detector box at the same place (IoU ≥ 0.5) in this many of a camera\'s bursts is a static object and no longer cropped; 0 = off' }),
    thumbnailSide: Type.Integer({ minimum: 0, default: 320, description: 'thumbnail kept for positive frames, px; 0 = none' }),
    adapter: Type.String({ default: '', description: 'module of a model adapter (exports createModel(options)), loaded in each worker; empty = the built-in MobileNetV2 + YOLOX adapter (docs/wildlife.md §1)' }),
    adapterThreshold: Type.Number({ minimum: 0, maximum: 1, default: 0.5, description: 'an adapter frame is positive at this monkeyScore unless the adapter decides itself' })
  }, { additionalProperties: false, default: {} }),
  wildlife: Type.Object({
    minPositiveFrames: Type.Integer({ minimum: 1, default: 2, description: 'k of a k-of-n sighting: positive frames needed in one burst (capped at the burst size)' }),
    cooldownMs: Type.Integer({ minimum: 0, default: 1_800_000, description: 'after a sighting, the same camera raises no new alert for this long (one troop = one alert)' }),
    burstTimeoutMs: Type.Integer({ minimum: 1000, default: 120_000, description: 'a burst whose frames stop arriving is decided after this' }),
    burstGatherMs: Type.Integer({ minimum: 0, default: 2000, description: 'frames of a burst are analysed together (motion) once all arrived or this long after the first; 0 = each frame alone' }),
    imageRetentionDays: Type.Number({ minimum: 0, default: 30, description: 'camera images and thumbnails older than this are deleted; 0 = keep' }),
    imageRetentionMaxBytes: Type.Integer({ minimum: 0, default: 0, description: 'camera images (dataDir/images) above this total are deleted oldest first; 0 = no size limit' }),
    retentionIntervalMs: Type.Integer({ minimum: 1000, default: 3_600_000, description: 'how often image retention runs, ms' }),
    recoverMaxAgeMs: Type.Integer({ minimum: 0, default: 21_600_000, description: 'at start, stored frames captured within this long that have no detection (acked, then lost with the in-memory queue in a crash) are analysed again; 0 = off' }),
    recoverMaxImages: Type.Integer({ minimum: 0, default: 2000, description: 'at most this many frames are recovered at start (newest first)' }),
    drill: Type.Boolean({ default: false, description: '訓練 mode: wildlife alerts are raised as drills' })
  }, { additionalProperties: false, default: {} }),
  notify: NotifySchema,
  intake: Type.Object({
    smtp: Type.Object({
      enabled: Type.Boolean({ default: false, description: 'trail cameras mail their photos here (fleet/ SMTP intake); docs/fleet.md' }),
      host: Type.String({ default: '127.0.0.1', description: '0.0.0.0 to accept cameras from the network' }),
      port: Port,
      cert: Type.String({ default: '', description: 'PEM certificate for STARTTLS; empty = no STARTTLS (then AUTH is refused unless allowInsecureAuth)' }),
      key: Type.String({ default: '', description: 'PEM private key for STARTTLS' }),
      allowInsecureAuth: Type.Boolean({ default: false, description: 'accept AUTH without STARTTLS (a closed LAN or a camera without TLS): the password travels in clear' }),
      maxMessageBytes: Type.Integer({ minimum: 1024, default: 10_485_760, description: 'largest mail accepted (SIZE), bytes' }),
      maxPhotos: Type.Integer({ minimum: 1, maximum: 64, default: 5, description: 'photo attachments per mail (one mail = one burst)' })
    }, { additionalProperties: false, default: { port: 2525 } }),
    http: Type.Object({
      enabled: Type.Boolean({ default: false, description: 'trail cameras POST photos here: /intake/cameras/{id}/photos, Authorization: Bearer <camera secret>' }),
      host: Type.String({ default: '127.0.0.1' }),
      port: Port,
      cert: Type.String({ default: '', description: 'PEM certificate: set = HTTPS' }),
      key: Type.String({ default: '', description: 'PEM private key' })
    }, { additionalProperties: false, default: { port: 8088 } }),
    exifOffset: Type.String({ default: '+09:00', pattern: '^[+-]\\d{2}:\\d{2}$', description: 'EXIF DateTimeOriginal has no time zone: the cameras\' clock offset (JST)' })
  }, { additionalProperties: false, default: {}, description: 'trail cameras a town buys: photos by e-mail or HTTP upload into the camera pipeline (fleet/)' }),
  lorawan: LorawanSchema,
  official: OfficialSchema,
  stations: Type.Array(StationSchema, { default: [] }),
  cameras: Type.Array(CameraSchema, { default: [] }),
  hunters: Type.Array(HunterSchema, { default: [], description: 'hunters (猟友会) registered at start when their id is not registered yet; later changes go through the API (docs/wildlife.md §5)' })
}, { additionalProperties: false })

export type Config = Static<typeof ConfigSchema>
export type StationConfig = Static<typeof StationSchema>
