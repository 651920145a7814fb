import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'
import cliProgress from 'cli-progress'
import { MimamoriError } from '../core/errors.js'
import { silentLogger } from '../core/logger.js'
import { createRecorder, DEVICE_TOPICS, type RecorderStats } from '../simulators/mqtt-record/recorder.js'
import { playRecording, scanRecording, type PlayResult } from '../simulators/mqtt-record/player.js'
import { localBrokerUrl, MQTT_CONNECT_OPTIONS, readSecretFile, resolveConfig } from './config-source.js'
import { defaultSimCredentialsFile, fleetCredentials, readSimCredentials } from './sim-credentials.js'

export const RECORD_USAGE = `mimamori record — capture live device traffic to a file (NDJSON)

Usage:
  mimamori record --out traffic.ndjson [--topic FILTER …] [--duration 30m] [--count N]
      [--mqtt-url URL] [--username ACCOUNT --password SECRET | --password-file FILE]
      [--force] [--config file.json]

  Each line: {"t": receive time (ISO 8601 UTC), "topic", "qos", "retain", "payload": base64}.
  Default topics: ${DEVICE_TOPICS.join(' ')}
  A broker with anonymous access off needs an ingest-role account to read device topics:
    mimamori device add --kind ingest --id recorder
  Stops at Ctrl-C, after --duration (s, m, h) or after --count messages.
  Replay it with: mimamori replay --mqtt traffic.ndjson [--speed 60|max]`

export const MQTT_REPLAY_USAGE = `mimamori replay --mqtt — send recorded traffic again through a running platform

Usage:
  mimamori replay --mqtt traffic.ndjson [--speed 1|N|max] [--mqtt-url URL]
      [--credentials sim-credentials.json] [--username ACCOUNT --password SECRET]
      [--json] [--config file.json]

  Each device's messages go out from its own MQTT client (client id = device id) with its
  credentials from --credentials (default dataDir/sim-credentials.json when it exists;
  mimamori sim --provision or mimamori device add write them), anonymous otherwise.
  --speed      recorded time per wall time (default 1: the original timing; 60: an hour
               a minute; max: as fast as the broker acks)
  --username   account for topics that are not a device's (ChirpStack events)
  Gauge frames keep their own minute tags: replay a recording within 45 days of it.
  CSV hydrographs: mimamori replay --file level.csv --station ID (= mimamori sim replay).`

/** 90, 90s, 30m, 2h → ms */
export function parseDuration (v: string, name: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(v.trim())
  if (m === null) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--${name} "${v}" is not a duration (e.g. 90s, 30m, 2h)`)
  const n = Number(m[1])
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h' ?? 's']
  return n * unit
}

function brokerUrl (flag: string | undefined, configFlag: string | undefined): { url: string, dataDir: string, config: ReturnType<typeof resolveConfig>['config'] } {
  const { config } = resolveConfig(configFlag, process.env)
  return { url: flag ?? (config.sim.mqttUrl === '' ? localBrokerUrl(config) : config.sim.mqttUrl), dataDir: config.dataDir, config }
}

const kb = (n: number): string => n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KB` : `${(n / 1024 / 1024).toFixed(1)} MB`

/** `mimamori record …`; resolves to the exit code. `stop` (tests) ends the recording like Ctrl-C; `onReady` once subscribed. */
export async function recordCommand (argv: string[], { stop, onReady }: { stop?: AbortSignal, onReady?: () => void } = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', short: 'o' },
      topic: { type: 'string', multiple: true },
      duration: { type: 'string' },
      count: { type: 'string' },
      ...MQTT_CONNECT_OPTIONS,
      force: { type: 'boolean', default: false },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) { process.stdout.write(RECORD_USAGE + '\n'); return 0 }
  if (values.out === undefined) { process.stderr.write(`--out is required\n\n${RECORD_USAGE}\n`); return 2 }
  const file = resolve(values.out)
  if (existsSync(file) && !values.force) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${file} exists; --force overwrites it`)
  const durationMs = values.duration === undefined ? undefined : parseDuration(values.duration, 'duration')
  const count = values.count === undefined ? undefined : Number(values.count)
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--count must be a whole number > 0')
  const password = values['password-file'] !== undefined ? readSecretFile(values['password-file']) : values.password
  const { url } = brokerUrl(values['mqtt-url'], values.config)

  const tty = process.stderr.isTTY
  let lastLine = 0
  const progress = (s: RecorderStats, final = false): void => {
    const now = Date.now()
    if (!final && (!tty || now - lastLine < 250)) return
    lastLine = now
    const last = s.lastAt === undefined ? '-' : new Date(s.lastAt).toISOString().slice(11, 19)
    process.stderr.write(`${tty ? '\r\x1b[K' : ''}recorded ${s.messages} messages (${kb(s.bytes)}) from ${s.devices} devices, last ${last} UTC${final ? '\n' : ''}`)
  }
  let done!: () => void
  const finished = new Promise<void>(resolve => { done = resolve })
  const recorder = createRecorder({
    url,
    file,
    ...(values.topic === undefined ? {} : { topics: values.topic }),
    ...(values.username === undefined ? {} : { username: values.username, password: password ?? '' }),
    logger: silentLogger(),
    overwrite: values.force,
    onMessage: s => {
      progress(s)
      if (count !== undefined && s.messages >= count) done()
    }
  })
  const onSignal = (): void => { done() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  stop?.addEventListener('abort', onSignal)
  const timer = durationMs === undefined ? undefined : setTimeout(onSignal, durationMs)
  try {
    await recorder.start()
    process.stderr.write(`recording ${url.replace(/\/\/[^@/]*@/, '//')} → ${file} (Ctrl-C stops)\n`)
    onReady?.()
    await finished
  } finally {
    clearTimeout(timer)
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await recorder.close()
  }
  progress(recorder.stats, true)
  return 0
}

/** `mimamori replay --mqtt FILE …`; resolves to the exit code. */
export async function mqttReplayCommand (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      mqtt: { type: 'string' },
      speed: { type: 'string', default: '1' },
      'mqtt-url': { type: 'string' },
      credentials: { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      'password-file': { type: 'string' },
      json: { type: 'boolean', default: false },
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) { process.stdout.write(MQTT_REPLAY_USAGE + '\n'); return 0 }
  if (values.mqtt === undefined) { process.stderr.write(`--mqtt FILE is required\n\n${MQTT_REPLAY_USAGE}\n`); return 2 }
  const speed: number | 'max' = values.speed === 'max' ? 'max' : Number(values.speed)
  if (speed !== 'max' && !(Number.isFinite(speed) && speed > 0)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--speed must be a number > 0 or "max" (got "${values.speed}")`)
  const { url, config } = brokerUrl(values['mqtt-url'], values.config)
  const credFile = values.credentials === undefined ? defaultSimCredentialsFile(config) : resolve(values.credentials)
  const credentials = values.credentials !== undefined || existsSync(credFile) ? fleetCredentials(readSimCredentials(credFile)) : undefined
  const password = values['password-file'] !== undefined ? readSecretFile(values['password-file']) : values.password

  // every line is read once before anything is sent: a broken file fails whole, with its line number
  const summary = await scanRecording(resolve(values.mqtt))
  const AGE_LIMIT = 45 * 86_400_000
  if (summary.messages > 0 && Date.now() - summary.from > AGE_LIMIT) {
    process.stderr.write(`warning: the recording starts ${((Date.now() - summary.from) / 86_400_000).toFixed(0)} days ago; gauge frames carry a 16-bit minute tag that reaches 45 days back, so their readings will be stored at wrong times\n`)
  }
  const bar = values.json || !process.stderr.isTTY
    ? undefined
    : new cliProgress.SingleBar({
      format: ' {bar} {percentage}% | {value}/{total} messages | recorded {dataTime} | ETA {eta_formatted} | failed {failed}',
      hideCursor: true,
      etaBuffer: 50
    }, cliProgress.Presets.shades_classic)
  bar?.start(summary.messages, 0, { dataTime: new Date(summary.from).toISOString().slice(11, 19), failed: 0 })
  let result: PlayResult
  try {
    result = await playRecording({
      file: resolve(values.mqtt),
      url,
      speed,
      logger: silentLogger(),
      credentials,
      username: values.username,
      password,
      summary,
      onProgress: p => { bar?.update(p.sent + p.failed, { dataTime: new Date(p.time).toISOString().slice(11, 19), failed: p.failed }) }
    })
  } finally {
    bar?.stop()
  }
  const out = {
    file: values.mqtt,
    messages: summary.messages,
    sent: result.sent,
    failed: result.failed,
    failures: result.failures,
    publishers: summary.publishers.length,
    recordedSeconds: result.recordedMs / 1000,
    wallSeconds: result.wallMs / 1000,
    speedRequested: speed
  }
  if (values.json) process.stdout.write(JSON.stringify(out) + '\n')
  else {
    process.stdout.write([
      `Replay ← ${values.mqtt}: ${result.sent}/${summary.messages} messages from ${summary.publishers.length} publishers in ${out.wallSeconds.toFixed(1)} s (recorded ${out.recordedSeconds.toFixed(1)} s, asked ${speed === 'max' ? 'max' : `${speed}×`})`,
      ...Object.entries(result.failures).map(([why, n]) => `  not delivered: ${n} × ${why}`),
      ''
    ].join('\n'))
  }
  return result.failed === 0 ? 0 : 1
}
