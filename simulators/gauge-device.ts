import type { Logger } from '../core/logger.js'
import { endMqtt, type MqttClient } from '../core/mqtt.js'
import { createRng, seedFrom } from '../core/random.js'
import { deviceTopic } from '../core/topics.js'
import type { Station } from '../core/types.js'
import { decodeDownlink, DOWNLINK_FPORT, encodeUplink, type GaugeMode, type GaugeUplinkInput } from '../codecs/gauge-v1.js'
import { measure } from '../edge/gauge/measure.js'
import { createReportingPolicy, type Decision, type ReportingPolicy, type ReportingSettings } from '../edge/gauge/reporting.js'
import { createStoreAndForward, type BacklogReport, type StoreAndForward } from '../edge/gauge/store-and-forward.js'
import { as923AirtimeMs, createAirtimeLimiter, type AirtimeLimiter } from '../edge/gauge/energy.js'
import { connectDevice, publishAcked } from './device-mqtt.js'
import type { LevelScenario } from './scenarios.js'

export interface SimulatedGauge {
  readonly deviceId: string
  connect(): Promise<void>
  /** measure now and publish one uplink; resolves when the broker has acked (QoS 1) */
  report(time?: number): Promise<Uint8Array>
  /**
   * One firmware cycle with adaptive reporting: measure, let the 監視/観測
   * policy decide, send (backlog first) or keep the frame for later when the
   * link is down or the ARIB airtime budget is used up. Call it at
   * `decision.nextMeasurementAt`.
   */
  tick(time?: number): Promise<TickResult>
  readonly policy: ReportingPolicy
  readonly backlog: StoreAndForward
  /** the MQTT link is up */
  readonly connected: boolean
  readonly airtime: AirtimeLimiter
  close(): Promise<void>
}

export interface TickResult {
  decision: Decision
  /** frames that left the device in this tick (backlog included) */
  sent: number
  /** frames waiting on the device after this tick */
  queued: number
}

export interface SimulatedGaugeOptions {
  station: Station
  scenario: LevelScenario
  mqttUrl: string
  logger: Logger
  mode?: GaugeMode
  /** adaptive reporting settings for tick(); 観測開始水位 defaults to the station's */
  reporting?: Partial<ReportingSettings>
  /** frames kept while offline before the oldest are summarised (default 1000) */
  bufferCapacity?: number
  /** AS923 data rate for the airtime budget (default DR2) */
  dataRate?: number
  /** a publish not acked within this is kept in the backlog (default 5000 ms) */
  publishTimeoutMs?: number
  /** MQTT credentials (username = device id); omitted = anonymous (demo broker only) */
  username?: string
  password?: string
}

/**
 * A gauge as the broker sees it: its own MQTT connection, a last will that
 * marks it offline, and frames built by the same edge code and codec as a
 * real device. Only the radio and the water are simulated.
 */
export function createSimulatedGauge (o: SimulatedGaugeOptions): SimulatedGauge {
  const deviceId = o.station.deviceId
  const rng = createRng(seedFrom(deviceId))
  const statusTopic = deviceTopic('gauge', deviceId, 'status')
  let client: MqttClient | undefined
  let batteryV = 3.6
  const policy = createReportingPolicy({
    observationStartM: o.station.thresholds.observationStart ?? o.station.thresholds.standby,
    ...o.reporting
  })
  const backlog = createStoreAndForward({ capacity: o.bufferCapacity ?? 1000 })
  const airtime = createAirtimeLimiter()
  const airtimeMs = as923AirtimeMs(o.dataRate ?? 2)
  const log = o.logger.child({ device: deviceId })

  const measureNow = (time: number, mode: GaugeMode): GaugeUplinkInput => {
    batteryV = Math.max(3.0, batteryV - 0.00001)
    return measure({
      mount: { sensorHeight: o.station.sensorHeight },
      trueLevelM: o.scenario(time),
      time,
      mode,
      batteryV,
      temperatureC: 12 + 8 * Math.sin(time / 86_400_000 * 2 * Math.PI),
      rng
    })
  }

  /** one frame over the air, within the ARIB budget; throws when it cannot go now */
  const transmit = async (input: GaugeUplinkInput, now: number): Promise<void> => {
    const c = client
    if (c?.connected !== true) throw new Error('link down')
    if (airtime.waitMs(now, airtimeMs) > 0) throw new Error('ARIB T108 airtime budget used up')
    airtime.record(now, airtimeMs)
    await publishAcked(c, deviceTopic('gauge', deviceId, 'up'), Buffer.from(encodeUplink(input)), { timeoutMs: o.publishTimeoutMs })
  }

  /**
   * A gateway gauge tells the platform how a delivered backlog went (the LoRa
   * frame only has the backlog flag). Best effort: the frames are already out.
   */
  const reportBacklog = async (): Promise<void> => {
    const r = backlog.takeBacklogReport()
    if (r === undefined) return
    const c = client
    try {
      if (c?.connected !== true) throw new Error('link down')
      await publishAcked(c, statusTopic, JSON.stringify({ online: true, batteryV, backlog: backlogStatus(r) }), { retain: true, timeoutMs: o.publishTimeoutMs })
    } catch (err) {
      log.debug({ err: (err as Error).message, backlog: r }, 'backlog report not published')
    }
  }

  return {
    deviceId,
    async connect () {
      client = await connectDevice({ url: o.mqttUrl, deviceId, username: o.username, password: o.password, statusTopic, logger: o.logger.child({ device: deviceId }) })
      const downTopic = deviceTopic('gauge', deviceId, 'down')
      client.on('message', (topic, payload) => {
        if (topic !== downTopic) return
        const d = decodeDownlink({ bytes: payload, fPort: DOWNLINK_FPORT })
        if (d.errors !== undefined) { log.warn({ errors: d.errors }, 'downlink refused; settings unchanged'); return }
        try {
          policy.applyDownlink(d.data)
          log.info({ downlink: d.data, mode: policy.mode }, 'downlink applied')
        } catch (err) {
          log.warn({ err: (err as Error).message }, 'downlink refused; settings unchanged')
        }
      })
      await client.subscribeAsync(downTopic, { qos: 1 })
      await client.publishAsync(statusTopic, JSON.stringify({ online: true, batteryV }), { qos: 1, retain: true })
    },
    async report (time = Date.now()) {
      if (client === undefined) throw new Error('simulated gauge not connected')
      const frame = encodeUplink(measureNow(time, o.mode ?? 'observe'))
      await client.publishAsync(deviceTopic('gauge', deviceId, 'up'), Buffer.from(frame), { qos: 1 })
      return frame
    },
    policy,
    backlog,
    airtime,
    get connected () { return client?.connected === true },
    async tick (time = Date.now()) {
      const m = measureNow(time, policy.mode)
      const decision = policy.onMeasurement(time, m.levelM)
      let sent = 0
      // older frames first, so the server sees the hydrograph in order
      if (backlog.size > 0) {
        sent += await backlog.flush(async f => { await transmit(f, time) })
        await reportBacklog()
      }
      if (decision.report) {
        const frame: GaugeUplinkInput = { ...m, mode: decision.mode, type: decision.type }
        if (backlog.size > 0) backlog.push(frame)
        else {
          try {
            await transmit(frame, time)
            sent++
          } catch (err) {
            log.debug({ err: (err as Error).message }, 'uplink kept for later')
            backlog.push(frame)
          }
        }
      }
      return { decision, sent, queued: backlog.size }
    },
    async close () {
      if (client?.connected === true) {
        await client.publishAsync(statusTopic, JSON.stringify({ online: false }), { qos: 1, retain: true }).catch(() => undefined)
      }
      await endMqtt(client)
      client = undefined
    }
  }
}

/** the `backlog` object of the status message (docs/payload.md) */
export function backlogStatus (r: BacklogReport): { sent: number, summarised: number, from: string, to: string } {
  return { sent: r.sent, summarised: r.summarised, from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString() }
}
