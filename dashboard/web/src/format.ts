/** Times are always shown in Japan time, whatever the viewer's device is set to. */

const dateTime = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  // h23, not hour12:false: some engines print midnight as 24:00 with the latter
  hourCycle: 'h23'
})

const clock = new Intl.DateTimeFormat('ja-JP', {
  timeZone: 'Asia/Tokyo',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hourCycle: 'h23'
})

/** `2026/11/23 14:05` (JST) */
export function formatDateTime (value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d)
}

/** `14:05:09` (JST) */
export function formatClock (value: string | number | Date): string {
  const d = value instanceof Date ? value : new Date(value)
  return Number.isNaN(d.getTime()) ? '—' : clock.format(d)
}

/** `0.55 m`: gauges resolve 1 cm */
export function formatLevel (metres: number): string {
  return `${metres.toFixed(2)} m`
}

/** the number of a rate with its sign, never `-0.00`: a rate that rounds to zero is `0.00` */
export function formatRateNumber (metresPerHour: number): string {
  const fixed = metresPerHour.toFixed(2)
  if (Number(fixed) === 0) return '0.00'
  return metresPerHour > 0 ? `+${fixed}` : fixed
}

/** `+0.42 m/h`, `-0.10 m/h`, `0.00 m/h` */
export function formatRate (metresPerHour: number): string {
  return `${formatRateNumber(metresPerHour)} m/h`
}
