import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StationConfig } from '../../core/config/schema.js'
import { isMimamoriError } from '../../core/errors.js'
import { silentLogger } from '../../core/logger.js'
import { runDrillSession } from '../../cli/drill.js'
import type { DrillReport } from '../../simulators/drill/report.js'
import { loadScenario, parseScenario, planDrill } from '../../simulators/drill/scenario.js'
import { REPO_ROOT, SHARED, startTestApp, type TestApp } from '../helpers/app.js'
import { riverStation } from '../helpers/river.js'

const img = (name: string): string => join(SHARED, 'images', name)
const thresholds = { observationStart: 0.4, standby: 0.7, caution: 1.1, evacuationJudgement: 1.5, danger: 1.8, flooding: 2.3 }

/**
 * A デジタル避難訓練 through the real platform: a YAML scenario with Japanese names,
 * a drill station (訓練局) beside a live one and a drill camera shown real monkey
 * photos; staff acknowledge the alerts as they appear. Every alert must carry the
 * drill flag, the live station must not hear a thing, and the report must say who
 * acknowledged what, when, and how long after the injected event.
 */
describe('mimamori drill run', () => {
  const drillStation: StationConfig = { ...riverStation('seiryuji-drill', thresholds), name: '青龍寺川 (訓練局)', nameEn: 'Seiryuji (drill)', drill: true }
  const live: StationConfig = { ...riverStation('seiryuji-shingata', thresholds), name: '青龍寺川 (新形橋)' }
  const camera = { id: 'cam-drill-01', name: '湯田川 果樹園 (訓練)', nameEn: 'Yutagawa orchard (drill)', lat: 38.6795, lon: 139.788, drill: true }
  let t: TestApp
  let dir: string
  let report: DrillReport
  const acked: string[] = []

  beforeAll(async () => {
    t = await startTestApp({
      stations: [live, drillStation],
      cameras: [camera],
      vision: { modelPath: join(SHARED, 'models', 'mobilenetv2-12-int8.onnx'), detectorPath: join(SHARED, 'models', 'detector', 'yolox_nano.onnx'), workers: 1 },
      wildlife: { minPositiveFrames: 2 }
    })
    dir = mkdtempSync(join(tmpdir(), 'mimamori-drill-'))
    const file = join(dir, 'scenario.yaml')
    writeFileSync(file, [
      'name: 青龍寺川 氾濫・サル出没 合同訓練',
      'speed: 600            # 90 分を 9 秒で (rehearsal)',
      'reportEvery: 10m',
      'waitForAcks: 60s',
      'stations:',
      '  - station: 青龍寺川 (訓練局)',
      '    start: 0.3',
      '    events:',
      '      - { at: 0m, riseTo: danger, offset: 0.1, over: 90m, note: 線状降水帯 }',
      'cameras:',
      '  - camera: 湯田川 果樹園 (訓練)',
      '    events:',
      `      - { at: 40m, burst: 3, images: [${['monkey_11.jpg', 'monkey_12.jpg', 'monkey_13.jpg'].map(img).join(', ')}] }`,
      ''
    ].join('\n'))
    // staff acknowledge each alert a moment after it fires, as they would on the dashboard
    const key = {}
    t.app.bus.on('alert', key, ({ alert, to }) => {
      if (to !== 'firing') return
      setTimeout(() => {
        const who = alert.kind === 'wildlife' ? 'hunter:田中' : 'staff:鈴木'
        t.app.alerts!.acknowledge(alert.id, who, { note: '訓練 確認' })
        acked.push(alert.id)
      }, 300)
    })
    const plan = planDrill(loadScenario(file), t.config)
    report = await runDrillSession({ plan, config: t.config, mqttUrl: t.info.mqttUrl, logger: silentLogger() })
    t.app.bus.removeListeners(key)
  })
  afterAll(async () => {
    await t?.close()
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
  })

  it('every alert the drill raised is a drill (【訓練】), river and wildlife alike; the live station heard nothing', async () => {
    const rules = report.alerts.map(a => `${a.kind}/${a.rule}`)
    for (const r of ['river/threshold.standby', 'river/threshold.caution', 'river/threshold.evacuationJudgement', 'river/threshold.danger', 'wildlife/sighting']) expect(rules, r).toContain(r)
    expect(rules).not.toContain('river/threshold.flooding')
    expect(report.summary.allDrill).toBe(true)
    expect(report.alerts.every(a => a.drill && a.title.startsWith('【訓練】'))).toBe(true)
    // the platform's own view agrees: no non-drill alert anywhere, nothing at the live station
    expect(t.app.alerts!.list({ drill: false, limit: 1000 })).toEqual([])
    expect(await t.app.store!.readings(live.id, { from: 0, to: Date.parse('2100-01-01'), limit: 10 })).toEqual([])
    expect(report.publicChannels).toBe(false)
  })

  it('reports who acknowledged what and when, and the time from each injected event', () => {
    expect(report.events.map(e => e.subjectId)).toEqual([drillStation.id, camera.id])
    expect(report.summary).toMatchObject({ events: 2, unacknowledged: 0, acknowledged: report.alerts.length })
    expect(report.acknowledgements).toHaveLength(acked.length)
    for (const k of report.acknowledgements) {
      expect(k.action).toBe('acknowledged')
      expect(k.by).toBe(k.subjectId === camera.id ? 'hunter:田中' : 'staff:鈴木')
      expect(k.note).toBe('訓練 確認')
      expect(k.eventId).toBe(k.subjectId === camera.id ? 'c0e0' : 's0e0')
      const event = report.events.find(e => e.id === k.eventId)!
      expect(k.minutesFromEvent).toBeCloseTo((Date.parse(k.at) - Date.parse(event.injectedAt)) / 60_000, 1)
      expect(k.minutesFromEvent!).toBeGreaterThanOrEqual(0)
    }
    expect(report.summary.medianMinutesToAck).not.toBeNull()
  })

  it('refuses a scenario that names a live station, and says what is wrong with an invalid one', () => {
    const onLive = parseScenario('name: x\nstations:\n  - station: 青龍寺川 (新形橋)\n    events: [{ at: 0m, riseTo: danger, over: 10m }]\n')
    expect(() => planDrill(onLive, t.config)).toThrow(/not a drill station/)
    let err: unknown
    try { parseScenario('name: x\nspeed: fast\nstations:\n  - station: a\n    events: [{ at: soon, riseTo: 1 }]\n    colour: red\n') } catch (e) { err = e }
    expect(isMimamoriError(err) && err.code).toBe('MIMAMORI_ERR_SCENARIO')
    const msg = (err as Error).message
    expect(msg).toContain('speed: must be number')
    expect(msg).toContain('stations.0.events.0.at')
    expect(msg).toContain('must NOT have additional properties "colour"')
    expect(parseScenario('{"name":"json も可","cameras":[{"camera":"c","events":[{"at":"1m"}]}]}').cameras[0]!.events[0]!.burst).toBe(3)
    // the example shipped for trainers stays valid
    const example = loadScenario(join(REPO_ROOT, 'config', 'drills', 'seiryuji.yaml'))
    expect(example).toMatchObject({ publicChannels: false, speed: 1 })
    expect(example.stations[0]!.events).toHaveLength(2)
  })
})
