import { readFileSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import { Type, type Static } from 'typebox'
import { parse as parseYaml } from 'yaml'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError } from '../../core/errors.js'
import type { Camera, Station, Thresholds } from '../../core/types.js'

/**
 * A デジタル避難訓練 (drill) as a file trainers write (YAML or JSON, Japanese names
 * allowed), e.g. docs/simulators.md:
 *
 *   name: 青龍寺川 氾濫訓練
 *   stations:
 *     - station: 青龍寺川 (訓練局)        # id or name of a drill station
 *       start: 0.3                        # m, or a band: standby, caution, …
 *       events:
 *         - { at: 0m, riseTo: danger, over: 90m }
 *   cameras:
 *     - camera: cam-drill-01
 *       events:
 *         - { at: 40m, burst: 3 }
 *
 * Times are offsets from the drill's start ("90s", "40m", "1h30m").
 */
const Duration = Type.String({ pattern: '^(\\d+(\\.\\d+)?(ms|s|m|h))+$', description: 'offset or length: 90s, 40m, 1h30m' })
const Level = Type.Union([
  Type.Number({ description: 'metres on the gauge datum' }),
  Type.Union(['observationStart', 'standby', 'caution', 'evacuationJudgement', 'danger', 'flooding'].map(k => Type.Literal(k)), { description: 'a station threshold (+ `offset`)' })
])

const LevelEvent = Type.Object({
  at: Duration,
  /** the level goes (linearly) from where it is to this, over `over` */
  riseTo: Type.Optional(Level),
  fallTo: Type.Optional(Level),
  /** metres added to a threshold named in riseTo/fallTo (e.g. danger + 0.1) */
  offset: Type.Optional(Type.Number({ default: 0 })),
  over: Type.Optional(Duration),
  note: Type.Optional(Type.String())
}, { additionalProperties: false })

const BurstEvent = Type.Object({
  at: Duration,
  /** frames in the burst */
  burst: Type.Integer({ minimum: 1, maximum: 20, default: 3 }),
  /** JPEG files shown to the camera (e.g. ../shared/images/monkey_01.jpg); default sim.cameraImageDir or generated frames */
  images: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  note: Type.Optional(Type.String())
}, { additionalProperties: false })

export const ScenarioSchema = Type.Object({
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  /**
   * May the drill's alerts reach public channels (CAP feed, 住民向け push, public webhooks)?
   * Default false; the notifiers (notify/) read it. Drill alerts carry drill: true either way.
   */
  publicChannels: Type.Boolean({ default: false }),
  /** scenario time per wall time: 1 = real time (a training day), 60 = an hour a minute (rehearsal) */
  speed: Type.Number({ exclusiveMinimum: 0, default: 1 }),
  /** gauge frames every this much scenario time (観測 mode: 10 min) */
  reportEvery: Type.Optional(Duration),
  /** after the last event, how long (wall time) to wait for staff to acknowledge the drill's alerts */
  waitForAcks: Type.Optional(Duration),
  stations: Type.Array(Type.Object({
    station: Type.String({ minLength: 1 }),
    start: Type.Optional(Level),
    events: Type.Array(LevelEvent, { minItems: 1 })
  }, { additionalProperties: false }), { default: [] }),
  cameras: Type.Array(Type.Object({
    camera: Type.String({ minLength: 1 }),
    events: Type.Array(BurstEvent, { minItems: 1 })
  }, { additionalProperties: false }), { default: [] })
}, { additionalProperties: false })

export type Scenario = Static<typeof ScenarioSchema>

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
const validate = ajv.compile<Scenario>(ScenarioSchema)

function formatErrors (errors: ErrorObject[]): string {
  return errors.map(e => {
    const where = e.instancePath === '' ? '(top)' : e.instancePath.slice(1).replace(/\//g, '.')
    const extra = e.keyword === 'additionalProperties' ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : ''
    return `  - ${where}: ${e.message ?? 'invalid'}${extra}`
  }).join('\n')
}

export function durationMs (d: string): number {
  let ms = 0
  for (const m of d.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
  return ms
}

/** YAML or JSON text → a validated scenario (defaults filled in); MIMAMORI_ERR_SCENARIO names each problem */
export function parseScenario (text: string, name = 'scenario'): Scenario {
  let raw: unknown
  try {
    raw = parseYaml(text) as unknown
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `${name} is not YAML or JSON: ${(err as Error).message}`, { cause: err })
  }
  const candidate = structuredClone(raw)
  if (!validate(candidate)) {
    throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `${name} is not a valid drill scenario:\n${formatErrors(validate.errors ?? [])}`, { details: { errors: validate.errors } })
  }
  if (candidate.stations.length === 0 && candidate.cameras.length === 0) throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `${name}: a drill needs stations or cameras`)
  for (const s of candidate.stations) {
    for (const e of s.events) {
      if ((e.riseTo === undefined) === (e.fallTo === undefined)) throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `${name}: station ${s.station} at ${e.at}: an event has riseTo or fallTo (one of them)`)
    }
  }
  return candidate
}

export function loadScenario (file: string): Scenario {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  return parseScenario(text, file)
}

/** one thing the drill does to a device, in scenario time */
export interface InjectedEvent {
  id: string
  kind: 'level' | 'burst'
  /** station or camera id */
  subjectId: string
  subjectName: string
  atMs: number
  description: string
}

export interface DrillPlan {
  scenario: Scenario
  stations: Array<{ station: Station, level: (scenarioMs: number) => number }>
  cameras: Array<{ camera: Camera, bursts: Array<{ atMs: number, frames: number, images: string[] | undefined, eventId: string }> }>
  events: InjectedEvent[]
  /** scenario time the last event ends */
  durationMs: number
  reportEveryMs: number
}

const levelOf = (v: Scenario['stations'][number]['start'], offset: number, t: Thresholds, fallback: number): number => {
  if (v === undefined) return fallback
  if (typeof v === 'number') return v
  const x = t[v as keyof Thresholds]
  return (x ?? fallback) + offset
}

/**
 * The scenario against the configuration: names resolve to stations and cameras,
 * which must be drill devices (訓練局 / 訓練カメラ, or the global drill switch) so
 * a drill can never raise a real alert or impersonate a live device.
 */
export function planDrill (scenario: Scenario, config: Pick<Config, 'stations' | 'cameras' | 'river' | 'wildlife'>): DrillPlan {
  const events: InjectedEvent[] = []
  let duration = 0
  const stations = scenario.stations.map((s, si) => {
    const station = config.stations.find(x => x.id === s.station || x.name === s.station || x.nameEn === s.station)
    if (station === undefined) throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `no station "${s.station}" in the configuration; known: ${config.stations.map(x => `${x.id} (${x.name})`).join(', ')}`)
    if (station.drill !== true && !config.river.rules.drill) {
      throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `station "${station.id}" (${station.name}) is not a drill station: a drill into it would raise real alerts and speak for its real gauge. Configure a 訓練局 (stations[].drill: true, its own deviceId) and name that in the scenario.`)
    }
    const t = station.thresholds
    // piecewise linear path through the events, held between them
    const knots: Array<{ at: number, level: number }> = [{ at: 0, level: levelOf(s.start, 0, t, (t.observationStart ?? t.standby) * 0.5) }]
    const sorted = [...s.events].sort((a, b) => durationMs(a.at) - durationMs(b.at))
    sorted.forEach((e, ei) => {
      const at = durationMs(e.at)
      const over = e.over === undefined ? 0 : durationMs(e.over)
      const target = levelOf(e.riseTo ?? e.fallTo, e.offset ?? 0, t, 0)
      // held at the level reached until the event starts; an event that overlaps the previous one starts when it ends
      const prev = knots[knots.length - 1]!
      const from = Math.max(at, prev.at)
      knots.push({ at: from, level: prev.level }, { at: from + over, level: target })
      duration = Math.max(duration, at + over)
      const verb = e.riseTo !== undefined ? '上昇 rise' : '下降 fall'
      events.push({ id: `s${si}e${ei}`, kind: 'level', subjectId: station.id, subjectName: station.name, atMs: at, description: `${verb} → ${target.toFixed(2)} m${typeof (e.riseTo ?? e.fallTo) === 'string' ? ` (${String(e.riseTo ?? e.fallTo)})` : ''} over ${e.over ?? '0m'}${e.note === undefined ? '' : ` — ${e.note}`}` })
    })
    const level = (ms: number): number => {
      if (ms <= knots[0]!.at) return knots[0]!.level
      for (let k = 1; k < knots.length; k++) {
        const a = knots[k - 1]!
        const b = knots[k]!
        if (ms <= b.at) return b.at === a.at ? b.level : a.level + (b.level - a.level) * (ms - a.at) / (b.at - a.at)
      }
      return knots[knots.length - 1]!.level
    }
    return { station, level }
  })
  const cameras = scenario.cameras.map((c, ci) => {
    const camera = config.cameras.find(x => x.id === c.camera || x.name === c.camera || x.nameEn === c.camera)
    if (camera === undefined) throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `no camera "${c.camera}" in the configuration; known: ${config.cameras.map(x => `${x.id} (${x.name})`).join(', ')}`)
    if (camera.drill !== true && !config.wildlife.drill) {
      throw new MimamoriError('MIMAMORI_ERR_SCENARIO', `camera "${camera.id}" (${camera.name}) is not a drill camera: its sightings would be real alerts to hunters. Configure a 訓練カメラ (cameras[].drill: true) and name that in the scenario.`)
    }
    const bursts = c.events.map((e, ei) => {
      const atMs = durationMs(e.at)
      duration = Math.max(duration, atMs)
      const eventId = `c${ci}e${ei}`
      events.push({ id: eventId, kind: 'burst', subjectId: camera.id, subjectName: camera.name, atMs, description: `サル出没 burst of ${e.burst} frames${e.note === undefined ? '' : ` — ${e.note}`}` })
      return { atMs, frames: e.burst, images: e.images, eventId }
    })
    return { camera, bursts }
  })
  events.sort((a, b) => a.atMs - b.atMs)
  return { scenario, stations, cameras, events, durationMs: duration, reportEveryMs: scenario.reportEvery === undefined ? 600_000 : durationMs(scenario.reportEvery) }
}
