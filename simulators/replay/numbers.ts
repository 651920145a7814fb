/** numbers for people: 3.5999999999999996 → 3.6 */
export function round (x: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

/** a UTC offset (+09:00, -05:00, Z) in ms */
export function offsetMs (zone: string): number {
  if (zone === 'Z') return 0
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(zone)
  return m === null ? 0 : (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000
}
