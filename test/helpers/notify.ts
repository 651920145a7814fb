import { mkdtempSync, rmSync } from 'node:fs'
import { Agent } from 'node:https'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createEventBus, type EventBus } from '../../core/bus.js'
import { loadConfig, type DeepPartial } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { createAlerts, type Alerts } from '../../alerts/index.js'
import { openAlertOutbox } from '../../notify/outbox.js'
import { createEmbeddedStore } from '../../store/embedded.js'
import type { Store } from '../../store/store.js'
import { createNotifier, type Notifier } from '../../notify/index.js'
import { riverStation } from './river.js'
import { selfSignedCert, startHttpPeer, startSmtpPeer, type HttpPeer, type SmtpPeer } from './notify-peers.js'

export const WEBHOOK_SECRET = 'test-webhook-secret'
export const LINE_TOKEN = 'test-line-token'

/** 青龍寺川 (test copy): Lv2 2.0 m, Lv3 2.5 m, Lv4 3.0 m, Lv5 3.5 m */
export const STATION = riverStation('st-seiryuji', { standby: 1.5, caution: 2.0, evacuationJudgement: 2.5, danger: 3.0, flooding: 3.5 }, {
  name: '青龍寺川 (新形橋)', nameEn: 'Seiryuji River (Shingata Bridge)', river: '青龍寺川', lat: 38.72, lon: 139.83
})

export interface NotifyRig {
  config: Config
  dataDir: string
  file: string
  bus: EventBus
  store: Store
  alerts: Alerts
  notifier: Notifier
  push: HttpPeer
  webhook: HttpPeer
  line: HttpPeer
  smtp: SmtpPeer
  /** a fresh notifier on the same file (after a "crash": the old one closed without draining) */
  restart(): Promise<Notifier>
  close(): Promise<void>
}

/**
 * The notifier with every channel pointed at a real local peer: a push service
 * (HTTP), an SMTP server, a webhook receiver and a LINE API stand-in. Short
 * back-offs so retries happen within a test.
 */
export async function startNotifyRig (notify: DeepPartial<Config['notify']> = {}, clock?: () => number): Promise<NotifyRig> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-notify-'))
  const tls = selfSignedCert()
  const [push, webhook, line, smtp] = await Promise.all([startHttpPeer(201, 0, tls), startHttpPeer(200), startHttpPeer(200), startSmtpPeer()])
  const pushAgent = new Agent({ ca: tls.cert })
  const base = {
    pollMs: 50,
    retryMinMs: 50,
    retryMaxMs: 200,
    timeoutMs: 2000,
    publicUrl: 'http://bousai.example.jp',
    escalation: { checkIntervalMs: 3_600_000 },
    channels: {
      email: { host: '127.0.0.1', port: smtp.port, secure: false, drills: true },
      webhook: { secret: WEBHOOK_SECRET, drills: false },
      line: { baseUrl: line.url, channelAccessToken: LINE_TOKEN, drills: false }
    }
  }
  const config = loadConfig({
    overrides: {
      dataDir,
      log: { level: 'silent' },
      stations: [STATION],
      notify: merge(base, notify as Record<string, unknown>)
    } as DeepPartial<Config>
  })
  const file = resolve(dataDir, config.store.file)
  const logger = silentLogger()
  const bus = createEventBus()
  const store = createEmbeddedStore({ file, logger })
  store.saveStations(config.stations)
  const alerts = createAlerts({ file, outbox: openAlertOutbox(file), logger, bus, clock })
  const make = (): Notifier => createNotifier({ config, logger, bus, store, alerts, clock, pushAgent })
  const rig: NotifyRig = {
    config,
    dataDir,
    file,
    bus,
    store,
    alerts,
    notifier: make(),
    push,
    webhook,
    line,
    smtp,
    async restart () {
      await rig.notifier.close()
      rig.notifier = make()
      await rig.notifier.start()
      return rig.notifier
    },
    async close () {
      await rig.notifier.close()
      await alerts.close()
      await store.close()
      await Promise.all([push.close(), webhook.close(), line.close(), smtp.close()])
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  await rig.notifier.start()
  return rig
}

function merge (a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = prev !== null && typeof prev === 'object' && !Array.isArray(prev) && v !== null && typeof v === 'object' && !Array.isArray(v)
      ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out
}
