/**
 * InfluxDB line protocol, written directly: the outbox drainer formats every
 * reading once, and @influxdata/influxdb-client's Point (an object per line, sorted
 * key copies, regex escapers) cost ~10× more per line than the write itself
 * (bench/README.md, ingest). Output is byte-identical to Point.toLineProtocol()
 * (test/unit/line-protocol.test.ts checks it against Point), so the client
 * library stays the reference.
 */
export class LineBuilder {
  private readonly tags: Array<[string, string]> = []
  private readonly fields: Array<[string, string]> = []
  constructor (private readonly measurement: string) {}

  tag (key: string, value: string): this {
    if (key !== '' && value !== '') this.tags.push([key, value])
    return this
  }

  float (key: string, value: number): this {
    if (!Number.isFinite(value)) throw new Error(`invalid float value for field '${key}': ${value}`)
    this.fields.push([key, String(value)])
    return this
  }

  int (key: string, value: number): this {
    if (Number.isNaN(value) || value <= -9223372036854776e3 || value >= 9223372036854776e3) throw new Error(`invalid integer value for field '${key}': '${value}'!`)
    this.fields.push([key, `${Math.floor(value)}i`])
    return this
  }

  bool (key: string, value: boolean): this {
    this.fields.push([key, value ? 'T' : 'F'])
    return this
  }

  string (key: string, value: string): this {
    this.fields.push([key, quoted(value)])
    return this
  }

  /** undefined when there is no field (not a valid line) */
  line (timestamp: string | undefined): string | undefined {
    if (this.fields.length === 0) return undefined
    this.fields.sort(byKey)
    this.tags.sort(byKey)
    // one join, not `+=` per piece: repeated concatenation leaves a deep rope per line, costly to GC in a batch
    const head = [escapeMeasurement(this.measurement)]
    for (const [k, v] of this.tags) head.push(`${escapeTag(k)}=${escapeTag(v)}`)
    const fields = this.fields.map(([k, v]) => `${escapeTag(k)}=${v}`).join(',')
    return [head.join(','), fields, ...(timestamp === undefined ? [] : [timestamp])].join(' ')
  }
}

// Point keeps one value per key (the last set wins); ours never sets a key twice
const byKey = (a: [string, string], b: [string, string]): number => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0

const MEASUREMENT_SPECIAL = /[, \n\r\t]/
const TAG_SPECIAL = /[, =\n\r\t]/
const STRING_SPECIAL = /["\\]/

function escapeWith (s: string, special: RegExp): string {
  if (!special.test(s)) return s // the common case: plain ids and names
  let out = ''
  for (const ch of s) {
    if (ch === '\n') out += '\\n'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\t') out += '\\t'
    else if (ch === ',' || ch === ' ' || (ch === '=' && special === TAG_SPECIAL)) out += '\\' + ch
    else out += ch
  }
  return out
}

export function escapeMeasurement (s: string): string {
  return escapeWith(s, MEASUREMENT_SPECIAL)
}

export function escapeTag (s: string): string {
  return escapeWith(s, TAG_SPECIAL)
}

export function quoted (s: string): string {
  return STRING_SPECIAL.test(s) ? `"${s.replace(/["\\]/g, '\\$&')}"` : `"${s}"`
}
