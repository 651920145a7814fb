import { readFileSync } from 'node:fs'

export interface RecordedPoint {
  /** ms since epoch */
  time: number
  /** metres on the gauge datum */
  level: number
  /** battery voltage recorded with it (a mapped CSV column); absent: the replay's fixed value */
  batteryV?: number | null
}

/** Reads a normalised `time,level_m` CSV (see ../shared/data/river/PROVENANCE.md), sorted by time. */
export function readLevelCsv (file: string): RecordedPoint[] {
  const lines = readFileSync(file, 'utf8').split(/\r?\n/)
  if (lines[0]?.trim() !== 'time,level_m') throw new Error(`${file}: expected header "time,level_m"`)
  const out: RecordedPoint[] = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!.trim()
    if (line === '') continue
    const [t, v] = line.split(',')
    const time = Date.parse(t ?? '')
    const level = Number(v)
    if (!Number.isFinite(time) || v === undefined || v === '' || !Number.isFinite(level)) throw new Error(`${file}:${i + 1}: bad row "${line}"`)
    out.push({ time, level })
  }
  return out.sort((a, b) => a.time - b.time)
}
