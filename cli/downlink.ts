import { parseArgs } from 'node:util'
import { isMimamoriError, MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import { connectMqtt, endMqtt, type MqttClient } from '../core/mqtt.js'
import { MODES, type GaugeDownlinkData, type GaugeMode } from '../codecs/gauge-v1.js'
import { gaugeDownlink, type GaugeDownlink } from '../codecs/downlink.js'
import { localBrokerUrl, MQTT_CONNECT_OPTIONS, readSecretFile, resolveConfig } from './config-source.js'

export const DOWNLINK_USAGE = `mimamori device downlink — change a gauge's run-time settings over MQTT

Usage:
  mimamori device downlink --station ID | --device ID
      [--mode watch|observe|maintenance] [--observe-interval MIN] [--heartbeat H]
      [--observation-start M] [--mqtt-url URL] [--username ACCOUNT]
      [--password SECRET | --password-file FILE] [--json] [--config file.json]

  --station            a station of the configuration (stations[]); its gauge is stations[].deviceId
  --device             the gauge's device id directly
  --mode               watch = 監視 (automatic), observe = 観測 (pinned), maintenance = 保守 (pinned)
  --observe-interval   observeIntervalMin: 観測 reporting interval, whole minutes 1..255
  --heartbeat          heartbeatHours: 監視 heartbeat, whole hours 1..255
  --observation-start  observationStartM: 観測開始水位, m on the gauge datum, e.g. -0.25
                       (±32.767, sent in whole mm)
  --json               print what was sent as JSON

Only the named settings change (docs/payload.md, fPort 10). The frame is the one
POST /api/stations/{id}/downlink sends, published QoS 1 on mmr/v1/gauge/{deviceId}/down
to dashboard.mqttUrl (default the configured local broker) or --mqtt-url, as the
dashboard service account dashboard.mqttUsername / dashboard.mqttPassword (or
--username / --password[-file]); anonymous only where the broker allows it.`

/** what `--json` prints: the API's 202 answer, with stationId null for a --device not in stations[] */
export interface DownlinkSent {
  stationId: string | null
  deviceId: string
  topic: string
  fPort: number
  bytes: string
  settings: GaugeDownlinkData
}

const SETTING_FLAGS = ['mode', 'observe-interval', 'heartbeat', 'observation-start'] as const

/** a one-shot connection: give up rather than retry */
const CONNECT_TIMEOUT_MS = 10_000

/** `mimamori device downlink …` (argv after `downlink`); resolves to the exit code, throws coded errors. */
export async function deviceDownlinkCommand (argv: string[], out: (s: string) => void = s => { process.stdout.write(s) }): Promise<number> {
  let parsed
  try {
    parsed = parseArgs({
      args: negativeValues(argv),
      options: {
        station: { type: 'string' },
        device: { type: 'string' },
        mode: { type: 'string' },
        'observe-interval': { type: 'string' },
        heartbeat: { type: 'string' },
        'observation-start': { type: 'string' },
        ...MQTT_CONNECT_OPTIONS,
        json: { type: 'boolean', default: false },
        config: { type: 'string', short: 'c' },
        help: { type: 'boolean', short: 'h' }
      }
    })
  } catch (err) {
    // node:util's own message ("Unknown option '--foo'…"), not a stack
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${(err as Error).message}\n\n${DOWNLINK_USAGE}`, { cause: err })
  }
  const { values } = parsed
  if (values.help === true) {
    out(DOWNLINK_USAGE + '\n')
    return 0
  }
  if ((values.station === undefined) === (values.device === undefined)) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `give one of --station or --device\n\n${DOWNLINK_USAGE}`)
  }
  const settings: GaugeDownlinkData = {
    mode: parseMode(values.mode),
    observeIntervalMin: parseNumber(values['observe-interval'], 'observe-interval'),
    heartbeatHours: parseNumber(values.heartbeat, 'heartbeat'),
    observationStartM: parseNumber(values['observation-start'], 'observation-start')
  }
  if (Object.values(settings).every(v => v === undefined)) {
    throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `name at least one setting: ${SETTING_FLAGS.map(f => `--${f}`).join(', ')} (mimamori device downlink --help)`)
  }

  const { config } = resolveConfig(values.config, process.env)
  const station = values.station === undefined
    ? config.stations.find(s => s.deviceId === values.device)
    : config.stations.find(s => s.id === values.station)
  if (station === undefined && values.station !== undefined) {
    throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station "${values.station}" in the configuration; known: ${config.stations.map(s => s.id).join(', ')}`)
  }
  // validated and encoded before any connection, so a bad value never reaches the broker
  let dl: GaugeDownlink
  try {
    dl = gaugeDownlink(station?.deviceId ?? values.device!, settings)
  } catch (err) {
    if (!isMimamoriError(err) || err.code !== 'MIMAMORI_ERR_BAD_REQUEST') throw err
    const given = SETTING_FLAGS.filter(f => values[f] !== undefined).map(f => `--${f} ${String(values[f])}`)
    throw new MimamoriError(err.code, `${err.message} (given ${given.join(' ')})`, { cause: err, ...(err.details === undefined ? {} : { details: err.details }) })
  }

  const url = values['mqtt-url'] ?? (config.dashboard.mqttUrl === '' ? localBrokerUrl(config) : config.dashboard.mqttUrl)
  const username = values.username ?? config.dashboard.mqttUsername
  const password = values['password-file'] !== undefined ? readSecretFile(values['password-file']) : values.password ?? config.dashboard.mqttPassword
  const client = await connectMqtt({
    url,
    // a service account's client id starts with "<account>-" (broker/acl.ts)
    clientId: `${username === '' ? 'mimamori' : username}-downlink-${process.pid}`,
    username,
    password,
    logger: silentLogger(),
    connectTimeoutMs: CONNECT_TIMEOUT_MS,
    extra: { reconnectPeriod: 0 }
  })
  try {
    await publishOnce(client, dl, url, username)
  } finally {
    await endMqtt(client)
  }
  printSent(out, station?.id ?? null, station?.name, dl, values.json)
  return 0
}

/** `--observation-start -0.25` as `--observation-start=-0.25`: node:util takes a leading dash for an option */
function negativeValues (argv: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const next = argv[i + 1]
    if (SETTING_FLAGS.some(f => a === `--${f}`) && next !== undefined && /^-(\d|\.\d)/.test(next)) {
      out.push(`${a}=${next}`)
      i++
    } else {
      out.push(a)
    }
  }
  return out
}

function parseMode (v: string | undefined): GaugeMode | undefined {
  if (v === undefined) return undefined
  if (!(MODES as readonly string[]).includes(v)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--mode must be ${MODES.join(', ')} (got "${v}")`)
  return v as GaugeMode
}

/** a plain decimal number; the range is the encoder's to judge (codecs/downlink.ts) */
function parseNumber (v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (v.trim() === '' || !Number.isFinite(n)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${flag} must be a number (got "${v}")`)
  return n
}

/**
 * QoS 1, resolved by the broker's PUBACK. A broker that refuses the publish
 * (ACL: only dashboard and ingest accounts write downlinks) drops the
 * connection instead of acknowledging, so a close before the PUBACK is a refusal.
 */
async function publishOnce (client: MqttClient, dl: GaugeDownlink, url: string, username: string): Promise<void> {
  let onClose: (() => void) | undefined
  const closed = new Promise<never>((_resolve, reject) => {
    onClose = () => {
      reject(new MimamoriError('MIMAMORI_ERR_MQTT', `broker ${url} closed the connection before acknowledging ${dl.topic}; ` +
        `most likely ${username === '' ? 'an anonymous client' : `account "${username}"`} may not write downlinks (that takes a dashboard service account: mimamori device add --kind dashboard --id …)`))
    }
    client.once('close', onClose)
  })
  try {
    await Promise.race([client.publishAsync(dl.topic, dl.bytes, { qos: 1 }), closed])
  } finally {
    client.off('close', onClose!)
  }
}

function printSent (out: (s: string) => void, stationId: string | null, stationName: string | undefined, dl: GaugeDownlink, json: boolean): void {
  const sent: DownlinkSent = { stationId, deviceId: dl.deviceId, topic: dl.topic, fPort: dl.fPort, bytes: dl.bytes.toString('hex'), settings: dl.settings }
  if (json) {
    out(JSON.stringify(sent) + '\n')
    return
  }
  const s = dl.settings
  const row = (label: string, value: string): string => `  ${(label + ':').padEnd(20)} ${value}`
  const lines = [
    `downlink sent to gauge ${dl.deviceId}${stationId === null ? '' : ` (station ${stationId}${stationName === undefined ? '' : ` ${stationName}`})`}`,
    row('topic', `${dl.topic} (QoS 1, acknowledged by the broker)`),
    row(`frame (fPort ${dl.fPort})`, [...dl.bytes].map(b => b.toString(16).padStart(2, '0')).join(' ')),
    ...(s.mode === undefined ? [] : [row('mode', `${s.mode} (${MODE_NAMES[s.mode]})`)]),
    ...(s.observeIntervalMin === undefined ? [] : [row('observeIntervalMin', `${s.observeIntervalMin} min`)]),
    ...(s.heartbeatHours === undefined ? [] : [row('heartbeatHours', `${s.heartbeatHours} h`)]),
    ...(s.observationStartM === undefined ? [] : [row('observationStartM', `${s.observationStartM} m (観測開始水位)`)]),
    '  A gauge connected now applies it at once; one offline gets it only with a persistent MQTT session',
    '  (downlinks are not retained). Settings not named stay as they are.',
    ''
  ]
  out(lines.join('\n'))
}

const MODE_NAMES: Record<GaugeMode, string> = { watch: '監視, automatic', observe: '観測, pinned', maintenance: '保守, pinned' }
