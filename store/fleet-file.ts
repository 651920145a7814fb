import { Ajv, type ErrorObject } from 'ajv'
import { Type, type Static } from 'typebox'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { CameraSchema, StationSchema } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Camera, FleetState, Station } from '../core/types.js'
import { problemText, stationProblem } from '../core/fleet/validate.js'
import { cleanThresholds, type FleetRegistry } from './fleet.js'

/**
 * `mimamori fleet export|import`: the fleet registry as one YAML or JSON file
 * (stations, cameras, their state, the thresholds in force and where they came from).
 * Export also lists each station's revision history, for the record; import reads
 * only the current values and turns differences into the same registry calls the
 * fleet page makes (commission, update, a new threshold revision, a state change),
 * so history is appended, never rewritten.
 */
const State = Type.Union([Type.Literal('active'), Type.Literal('maintenance'), Type.Literal('retired')])
const Revision = Type.Object({
  revision: Type.Integer(), validFrom: Type.String(), thresholds: Type.Record(Type.String(), Type.Number()),
  source: Type.String(), by: Type.String(), reason: Type.Union([Type.String(), Type.Null()])
}, { additionalProperties: false })
export const FleetFileSchema = Type.Object({
  version: Type.Literal(1),
  stations: Type.Array(Type.Object({ ...StationSchema.properties, state: Type.Optional(State), thresholdSource: Type.Optional(Type.String({ minLength: 1 })), history: Type.Optional(Type.Array(Revision)) }, { additionalProperties: false }), { default: [] }),
  cameras: Type.Array(Type.Object({ ...CameraSchema.properties, state: Type.Optional(State), trail: Type.Optional(Type.Boolean()) }, { additionalProperties: false }), { default: [] })
}, { additionalProperties: false })
export type FleetFile = Static<typeof FleetFileSchema>

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false })
const validate = ajv.compile<FleetFile>(FleetFileSchema)

function where (e: ErrorObject): string {
  const missing = (e.params as { missingProperty?: string }).missingProperty
  const extra = (e.params as { additionalProperty?: string }).additionalProperty
  return `${e.instancePath || '/'}${missing !== undefined ? `/${missing}` : ''}${extra !== undefined ? `/${extra}` : ''}`
}

/** YAML or JSON (JSON is YAML); schema-checked, then each station's fields and thresholds (bilingual) */
export function parseFleetFile (text: string, name = 'fleet file'): FleetFile {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_VALIDATION', `${name}: not YAML or JSON: ${(err as Error).message}`)
  }
  if (!validate(doc)) {
    const lines = (validate.errors ?? []).slice(0, 10).map(e => `  ${where(e)} ${e.message ?? ''}`)
    throw new MimamoriError('MIMAMORI_ERR_VALIDATION', `${name} does not match the fleet file schema:\n${lines.join('\n')}`, { details: { errors: lines } })
  }
  doc.stations.forEach((s, i) => {
    const p = stationProblem(s as unknown as Record<string, unknown>)
    if (p !== null) throw new MimamoriError('MIMAMORI_ERR_VALIDATION', `${name}: stations[${i}] (${s.id}): ${problemText(p)}`, { details: { ...p, index: i } })
  })
  for (const list of [doc.stations, doc.cameras]) {
    const seen = new Set<string>()
    for (const x of list) {
      if (seen.has(x.id)) throw new MimamoriError('MIMAMORI_ERR_VALIDATION', `${name}: id "${x.id}" appears twice`)
      seen.add(x.id)
    }
  }
  return doc
}

export function exportFleet (store: { fleet: FleetRegistry, listStations(): Station[], listCameras(): Camera[] }): FleetFile {
  const fleet = store.fleet
  return {
    version: 1,
    stations: store.listStations().map(s => {
      const history = fleet.history(s.id)
      const current = fleet.thresholdsAt(s.id, Date.now())
      const { state, ...doc } = s
      return {
        ...doc,
        thresholds: cleanThresholds(s.thresholds),
        state: state ?? 'active',
        ...(current === undefined ? {} : { thresholdSource: current.source }),
        history: history.map(r => ({ revision: r.revision, validFrom: new Date(r.validFrom).toISOString(), thresholds: { ...r.thresholds } as Record<string, number>, source: r.source, by: r.by, reason: r.reason }))
      }
    }) as FleetFile['stations'],
    cameras: store.listCameras().map(c => ({ ...c, state: c.state ?? 'active' })) as FleetFile['cameras']
  }
}

export function formatFleetFile (file: FleetFile, format: 'yaml' | 'json'): string {
  return format === 'json' ? JSON.stringify(file, null, 2) + '\n' : stringifyYaml(file)
}

export interface FleetChange {
  kind: 'gauge' | 'camera'
  id: string
  /** add: commission; update: document fields; thresholds: a new revision; state: maintenance / active / retired */
  op: 'add' | 'update' | 'thresholds' | 'state'
  /** "+ gauge x", "~ gauge x: name テスト → 試験" … as --dry-run prints it */
  text: string
  apply(fleet: FleetRegistry, by: string): void
}

const DOC_KEYS_IGNORED = new Set(['state', 'thresholdSource', 'history', 'thresholds', 'profile'])

function docDiff (before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)].filter(k => !DOC_KEYS_IGNORED.has(k)))
  const out: string[] = []
  for (const k of [...keys].sort()) {
    const a = JSON.stringify(before[k])
    const b = JSON.stringify(after[k])
    if (a !== b) out.push(`${k} ${a ?? '(none)'} → ${b ?? '(none)'}`)
  }
  return out
}

/** what importing `file` would change, in order; nothing in the registry is touched */
export function planFleetImport (store: { fleet: FleetRegistry, getStation(id: string): Station | undefined, getCamera(id: string): Camera | undefined }, file: FleetFile): FleetChange[] {
  const changes: FleetChange[] = []
  const stateChange = (kind: 'gauge' | 'camera', id: string, from: FleetState, to: FleetState | undefined): void => {
    if (to === undefined || to === from) return
    changes.push({ kind, id, op: 'state', text: `~ ${kind} ${id}: state ${from} → ${to}`, apply: (f, by) => { f.setState(kind, id, to, { by, reason: 'fleet import' }) } })
  }
  for (const entry of file.stations) {
    const { state, thresholdSource, history: _history, ...raw } = entry
    const doc = { ...raw, thresholds: cleanThresholds(raw.thresholds) } as Station
    const source = thresholdSource ?? 'fleet import'
    const current = store.getStation(doc.id)
    if (current === undefined) {
      changes.push({ kind: 'gauge', id: doc.id, op: 'add', text: `+ gauge ${doc.id} (${doc.name}, device ${doc.deviceId})`, apply: (f, by) => { f.commissionStation(doc, { by, source, profile: doc.profile }) } })
      stateChange('gauge', doc.id, 'active', state)
      continue
    }
    const { state: curState, ...curDoc } = current
    const fields = docDiff(curDoc as unknown as Record<string, unknown>, doc as unknown as Record<string, unknown>)
    if (fields.length > 0) changes.push({ kind: 'gauge', id: doc.id, op: 'update', text: `~ gauge ${doc.id}: ${fields.join('; ')}`, apply: f => { f.updateStation(doc) } })
    const a = cleanThresholds(current.thresholds) as unknown as Record<string, number | undefined>
    const b = doc.thresholds as unknown as Record<string, number | undefined>
    const levels = Object.keys({ ...a, ...b }).filter(k => a[k] !== b[k]).map(k => `${k} ${a[k] ?? '(none)'} → ${b[k] ?? '(none)'}`)
    if (levels.length > 0) {
      changes.push({ kind: 'gauge', id: doc.id, op: 'thresholds', text: `~ gauge ${doc.id} thresholds (new revision, source "${source}"): ${levels.join('; ')}`, apply: (f, by) => { f.reviseThresholds(doc.id, { thresholds: doc.thresholds, source, by, reason: 'fleet import' }) } })
    }
    stateChange('gauge', doc.id, curState ?? 'active', state)
  }
  for (const entry of file.cameras) {
    const { state, ...doc } = entry as Camera & { state?: FleetState }
    const current = store.getCamera(doc.id)
    if (current === undefined) {
      changes.push({ kind: 'camera', id: doc.id, op: 'add', text: `+ camera ${doc.id} (${doc.name})`, apply: (f, by) => { f.commissionCamera(doc, { by }) } })
      stateChange('camera', doc.id, 'active', state)
      continue
    }
    const { state: curState, ...curDoc } = current
    const fields = docDiff(curDoc as unknown as Record<string, unknown>, doc as unknown as Record<string, unknown>)
    if (fields.length > 0) changes.push({ kind: 'camera', id: doc.id, op: 'update', text: `~ camera ${doc.id}: ${fields.join('; ')}`, apply: f => { f.updateCamera(doc) } })
    stateChange('camera', doc.id, curState ?? 'active', state)
  }
  return changes
}
