import type { Static } from 'typebox'
import type { DeviceProfileSchema } from '../../core/config/schema.js'
import { MimamoriError } from '../../core/errors.js'
import type { DeviceProfileSummary, Station } from '../../core/types.js'

/** Which decoded field is the measurement, in what unit, and what else the uplink tells (config: lorawan.profiles). */
export type DeviceProfile = Static<typeof DeviceProfileSchema>

/** two alkaline cells in series: weak below 2.4 V, brown-out below 2.2 V */
const ALKALINE_PAIR = { suspectV: 2.4, failV: 2.2 }

/**
 * The six sensors we ship codecs for (codecs/vendor/devices), read as
 * /work/shared/devices/lorawan/PROVENANCE.md describes them. Each picks the
 * field a water level comes from; everything else the codec decodes is
 * ignored here.
 */
export const BUILTIN_PROFILES: readonly DeviceProfile[] = [
  // Decentlab's sensors run on two alkaline cells: about 3.0 V in normal operation (the vendor's own example
  // uplinks read 2.99–3.02 V), so our gauge's lithium limits (3.3 / 3.0 V) would fail every reading.
  // fw 1.1.4 codec: "2799 mm", or "No Sensor" / "Invalid Reading" (a gap)
  { id: 'dragino-ldds75', vendor: 'Dragino', model: 'LDDS75 (fw 1.1.4)', codec: 'dragino/ldds75-114', measures: 'distance', field: 'Distance', unit: 'mm', battery: { field: 'Bat', unit: 'V' } },
  { id: 'dragino-ldds75-fw12', vendor: 'Dragino', model: 'LDDS75 (fw 1.2)', codec: 'dragino/ldds75', measures: 'distance', field: 'distance', unit: 'mm', battery: { field: 'battery', unit: 'V' } },
  // a tilted sensor measures the bank, not the water
  { id: 'milesight-em310-udl', vendor: 'Milesight', model: 'EM310-UDL', codec: 'milesight-iot/em310-udl', measures: 'distance', field: 'distance', unit: 'mm', battery: { field: 'battery', unit: '%' }, discard: [{ field: 'tilt', equals: 'tilt' }] },
  { id: 'decentlab-dl-mbx', vendor: 'Decentlab', model: 'DL-MBX', codec: 'decentlab/dl-mbx', measures: 'distance', field: 'distance', unit: 'mm', battery: { field: 'battery_voltage', unit: 'V', ...ALKALINE_PAIR }, discard: [{ field: 'number_of_valid_samples.value', equals: 0 }] },
  // the median of a burst of laser samples: robust against a wave or floating debris
  { id: 'decentlab-dl-lid', vendor: 'Decentlab', model: 'DL-LID', codec: 'decentlab/dl-lid', measures: 'distance', field: 'distance_median', unit: 'mm', battery: { field: 'battery_voltage', unit: 'V', ...ALKALINE_PAIR } },
  // vented (relative) pressure of the water column above the probe
  { id: 'decentlab-dl-pr36', vendor: 'Decentlab', model: 'DL-PR36 (kp 8192)', codec: 'decentlab/dl-pr36-8192', measures: 'depth', field: 'pressure', unit: 'bar', battery: { field: 'battery_voltage', unit: 'V', ...ALKALINE_PAIR }, temperature: { field: 'temperature' } },
  { id: 'elsys-elt-ultrasonic', vendor: 'Elsys', model: 'ELT Ultrasonic', codec: 'elsys/elt-ultrasonic', measures: 'distance', field: 'distance', unit: 'mm', battery: { field: 'vdd', unit: 'mV' }, temperature: { field: 'temperature' } }
]

/** Built-in profiles, then the configured ones (a configured id replaces a built-in one). */
export function resolveProfiles (configured: readonly DeviceProfile[] = []): Map<string, DeviceProfile> {
  const out = new Map<string, DeviceProfile>()
  for (const p of [...BUILTIN_PROFILES, ...configured]) out.set(p.id, p)
  return out
}

/** The profiles a commissioning form offers (fleet management lists these). */
export function listDeviceProfiles (configured: readonly DeviceProfile[] = []): DeviceProfileSummary[] {
  return [...resolveProfiles(configured).values()].map(p => ({ id: p.id, vendor: p.vendor, model: p.model, measures: p.measures, unit: p.unit }))
}

/** What a profile makes of one decoded uplink: a level in metres above the gauge zero, or a gap with the reason. */
export interface ProfiledMeasurement {
  levelM: number | null
  /** why there is no level (no echo, tilted, field missing) */
  gap?: string
  batteryV: number | null
  batteryPercent: number | null
  temperatureC: number | null
}

/** Fresh water: 1 bar of vented pressure is 10.197 m of water column (ρ 1000 kg/m³, g 9.80665 m/s²). */
const M_WATER_PER_BAR = 100_000 / (1000 * 9.80665)
const TO_METRES: Record<DeviceProfile['unit'], number> = { mm: 0.001, cm: 0.01, m: 1, bar: M_WATER_PER_BAR, mbar: M_WATER_PER_BAR / 1000, kPa: M_WATER_PER_BAR / 100 }

/**
 * Reads the profile's field from a codec's `data` and applies the install
 * geometry: distance → level = sensorHeight − distance; depth → level =
 * installOffsetM + depth; level → installOffsetM + level. Rounded to 1 mm.
 */
export function applyProfile (profile: DeviceProfile, station: Pick<Station, 'sensorHeight' | 'installOffsetM'>, data: Record<string, unknown>): ProfiledMeasurement {
  const battery = profile.battery === undefined ? undefined : numberWithUnit(pick(data, profile.battery.field))
  const out: ProfiledMeasurement = {
    levelM: null,
    batteryV: battery === undefined ? null : profile.battery?.unit === 'V' ? battery.value : profile.battery?.unit === 'mV' ? battery.value / 1000 : null,
    batteryPercent: battery !== undefined && profile.battery?.unit === '%' ? battery.value : null,
    temperatureC: profile.temperature === undefined ? null : numberWithUnit(pick(data, profile.temperature.field))?.value ?? null
  }
  for (const d of profile.discard ?? []) {
    if (pick(data, d.field) === d.equals) return { ...out, gap: `${d.field} is ${String(d.equals)}` }
  }
  const raw = pick(data, profile.field)
  if (raw === undefined) return { ...out, gap: `no ${profile.field} in this uplink` }
  const m = numberWithUnit(raw)
  if (m === undefined) return { ...out, gap: `${profile.field} is ${JSON.stringify(raw).slice(0, 40)}` }
  const unit = (m.unit !== undefined && m.unit in TO_METRES ? m.unit : profile.unit) as DeviceProfile['unit']
  const metres = m.value * TO_METRES[unit]
  const level = profile.measures === 'distance'
    ? station.sensorHeight - metres
    : (station.installOffsetM ?? 0) + metres
  return { ...out, levelM: Math.round(level * 1000) / 1000 }
}

/** A number, a numeric string with an optional unit ("2799 mm"), or a { value, unit } object. */
function numberWithUnit (v: unknown): { value: number, unit?: string } | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? { value: v } : undefined
  if (typeof v === 'string') {
    const m = /^\s*(-?\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(v)
    if (m === null) return undefined
    return m[2] === '' ? { value: Number(m[1]) } : { value: Number(m[1]), unit: m[2]! }
  }
  if (v !== null && typeof v === 'object' && 'value' in v) {
    const inner = numberWithUnit((v as { value: unknown }).value)
    const unit = (v as { unit?: unknown }).unit
    return inner === undefined ? undefined : typeof unit === 'string' ? { value: inner.value, unit } : inner
  }
  return undefined
}

function pick (data: Record<string, unknown>, path: string): unknown {
  let cur: unknown = data
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined
    cur = (cur as Record<string, unknown>)[key]
  }
  return cur
}

export function profileOrThrow (profiles: ReadonlyMap<string, DeviceProfile>, id: string): DeviceProfile {
  const p = profiles.get(id)
  if (p === undefined) throw new MimamoriError('MIMAMORI_ERR_CODEC_PROFILE', `no device profile ${id}`)
  return p
}
