import { parseArgs } from 'node:util'
import { MimamoriError } from '../core/errors.js'
import { AS923_DWELL_LIMIT_MS, DEFAULT_ENERGY_PROFILE } from '../edge/gauge/energy.js'
import { stationEnergyProfile } from '../edge/gauge/profile.js'
import { resolveConfig } from './config-source.js'

/**
 * `mimamori sim --profile <stationId> [--dr 2] [--config file]`: the energy and
 * airtime budget of one station's gauge over a simulated calm year.
 */
export function simProfileCommand (argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: { profile: { type: 'string' }, dr: { type: 'string', default: '2' }, config: { type: 'string', short: 'c' } }
  })
  const { config } = resolveConfig(values.config, process.env)
  const station = config.stations.find(s => s.id === values.profile)
  if (station === undefined) {
    throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no station "${values.profile ?? ''}"; known: ${config.stations.map(s => s.id).join(', ')}`)
  }
  const dr = Number(values.dr)
  const p = stationEnergyProfile(station, { dataRate: dr })
  const b = DEFAULT_ENERGY_PROFILE
  const f = (n: number, d = 1): string => n.toFixed(d)
  process.stdout.write([
    `Gauge energy profile — ${station.name} (${station.id})`,
    `  frame:            ${p.frameBytes} bytes, AS923 DR${dr}: ${f(p.airtimeMs)} ms airtime per uplink` +
      (p.airtimeMs > AS923_DWELL_LIMIT_MS ? ` (over the ${AS923_DWELL_LIMIT_MS} ms AS923 dwell limit: not allowed in Japan)` : ''),
    `  ARIB T108:        ≤ 360 s airtime/hour; 観測 mode uses ${f(p.aribShareObserve * 100, 2)} % of it`,
    `  battery:          ${b.batteryMah} mAh, ${f(b.usableFraction * 100, 0)} % usable, self-discharge ${f(b.selfDischargePerYear * 100, 0)} %/year`,
    `  calm year (監視):  ${f(p.calm.uplinksPerDay, 2)} uplinks/day, ${f(p.calm.measurementsPerDay, 0)} measurements/day → ${f(p.calm.battery.mAhPerDay, 2)} mAh/day → ${f(p.calm.battery.years)} years`,
    `  fixed 10 min:     144 uplinks/day → ${f(p.fixed10min.battery.mAhPerDay, 2)} mAh/day → ${f(p.fixed10min.battery.years)} years`,
    `  all year 観測:     ${f(p.observe.uplinksPerDay, 0)} uplinks/day → ${f(p.observe.battery.mAhPerDay, 2)} mAh/day → ${f(p.observe.battery.years)} years`,
    `  target ≥ 5 years in a calm year: ${p.calm.battery.years >= 5 ? 'met' : 'NOT met'}`,
    ''
  ].join('\n'))
  return 0
}
