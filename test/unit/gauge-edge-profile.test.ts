import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { stationEnergyProfile } from '../../edge/gauge/profile.js'
import { readDemoConfig, REPO_ROOT } from '../helpers/app.js'

describe('station energy profile (mimamori sim --profile)', () => {
  it('meets the 5-year battery target in a calm year at every demo station, at DR2', () => {
    for (const station of readDemoConfig().stations) {
      const p = stationEnergyProfile(station, { days: 120 })
      expect(p.calm.uplinksPerDay, station.id).toBeLessThan(3)
      expect(p.calm.battery.years, station.id).toBeGreaterThanOrEqual(5)
      expect(p.aribShareObserve, station.id).toBeLessThan(0.01)
    }
  })

  it('prints the estimate from the built CLI', () => {
    const out = execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'sim', '--profile', 'uchikawa-oizumi'], {
      env: { ...process.env, MIMAMORI_LOG__LEVEL: 'silent' },
      encoding: 'utf8'
    })
    expect(out).toMatch(/11 bytes, AS923 DR2: 370\.7 ms airtime per uplink/)
    expect(out).toMatch(/calm year .*uplinks\/day.* years/)
    expect(out).toMatch(/target ≥ 5 years in a calm year: met/)
  })
})
