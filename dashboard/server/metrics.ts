import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { EventBus } from '../../core/bus.js'
import type { HealthSource } from './routes/health.js'

export interface Metrics {
  readonly contentType: string
  /** the text exposition format, with service figures read at this moment */
  render(): Promise<string>
  close(): void
}

const SNAKE = /[A-Z]/g

/**
 * Prometheus metrics as an extension (as zigbee2mqtt's prometheusExporter):
 * counters fed by bus events, plus every number the services already report
 * on /healthz exposed as a gauge at scrape time, so no stage is instrumented twice.
 */
export function createMetrics ({ bus, health, extra = [] }: { bus: EventBus, health: HealthSource, extra?: Registry[] }): Metrics {
  const own = new Registry()
  collectDefaultMetrics({ register: own, prefix: 'mimamori_' })
  const key = {}

  // per reading only a number in a map (prom-client hashes and validates the labels on every inc/set); handed over at scrape time
  const readingCounts = new Map<string, number>()
  const levels = new Map<string, number>()
  const readings = new Counter({
    name: 'mimamori_readings_total',
    help: 'readings stored, by station',
    labelNames: ['station'],
    registers: [own],
    collect () {
      this.reset()
      for (const [station, n] of readingCounts) this.inc({ station }, n)
    }
  })
  const level = new Gauge({
    name: 'mimamori_station_level_metres',
    help: 'latest water level (m on the gauge datum), by station',
    labelNames: ['station'],
    registers: [own],
    collect () {
      for (const [station, v] of levels) this.set({ station }, v)
    }
  })
  const rejected = new Counter({ name: 'mimamori_rejected_total', help: 'inputs refused, by MIMAMORI_ERR_* code', labelNames: ['code'], registers: [own] })
  const alerts = new Counter({ name: 'mimamori_alert_transitions_total', help: 'alert lifecycle transitions, by kind and new state', labelNames: ['kind', 'state', 'drill'], registers: [own] })
  const images = new Counter({ name: 'mimamori_camera_images_total', help: 'camera frames accepted, by camera', labelNames: ['camera'], registers: [own] })
  const sightings = new Counter({ name: 'mimamori_sightings_total', help: 'wildlife sightings decided, by camera', labelNames: ['camera'], registers: [own] })

  bus.on('reading', key, ({ reading }) => {
    readingCounts.set(reading.stationId, (readingCounts.get(reading.stationId) ?? 0) + 1)
    levels.set(reading.stationId, reading.level)
  })
  bus.on('rejected', key, ({ code }) => { rejected.inc({ code }) })
  bus.on('alert', key, ({ alert, to }) => { alerts.inc({ kind: alert.kind, state: to, drill: String(alert.drill) }) })
  bus.on('cameraImage', key, ({ image }) => { images.inc({ camera: image.cameraId }) })
  bus.on('sighting', key, ({ sighting }) => { sightings.inc({ camera: sighting.cameraId }) })

  // Service figures (ingest, broker, outbox …) change shape as capabilities are
  // added; each numeric leaf of /healthz becomes a gauge the first time it is seen.
  const dynamic = new Map<string, Gauge>()
  const refresh = (): void => {
    for (const [path, value] of numericLeaves(health())) {
      const name = `mimamori_${path.map(p => p.replace(SNAKE, c => `_${c.toLowerCase()}`)).join('_')}`.replace(/[^a-zA-Z0-9_]/g, '_')
      let gauge = dynamic.get(name)
      if (gauge === undefined) {
        gauge = new Gauge({ name, help: `/healthz ${path.join('.')}`, registers: [own] })
        dynamic.set(name, gauge)
      }
      gauge.set(value)
    }
  }

  return {
    contentType: own.contentType,
    async render () {
      refresh()
      // other parts' registries (the sign-in counters of auth/metrics.ts) are read at the same scrape;
      // concatenated, not merged once, because gauges are added to ours as /healthz grows
      const texts = await Promise.all([own, ...extra].map(async r => await r.metrics()))
      return texts.map(t => t.endsWith('\n') || t === '' ? t : t + '\n').join('')
    },
    close () { bus.removeListeners(key) }
  }
}

function numericLeaves (value: unknown, path: string[] = []): Array<[string[], number]> {
  if (typeof value === 'number' && Number.isFinite(value)) return [[path, value]]
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return []
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => numericLeaves(v, [...path, k]))
}
