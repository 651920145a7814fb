import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../core/config/load.js'
import { silentLogger } from '../../../core/logger.js'
import { MimamoriError } from '../../../core/errors.js'
import { createDeviceCodecs } from '../../../codecs/vendor/registry.js'
import { REPO_ROOT } from '../../helpers/app.js'

const HOSTILE = join(REPO_ROOT, 'test', 'fixtures', 'lorawan', 'hostile')

describe('codec registry', () => {
  it('pauses a codec stopped quarantineAfter times in a row, refuses its uplinks quickly, resumes after quarantineS', async () => {
    let clock = 1_000_000
    const config = loadConfig({
      overrides: {
        log: { level: 'silent' },
        lorawan: {
          builtInCodecs: false,
          codecFolders: [HOSTILE],
          sandbox: { cpuMs: 60, quarantineAfter: 2, quarantineS: 60 },
          profiles: [{ id: 'loop', vendor: 'T', model: 'loop', codec: 'hostile/loop', measures: 'distance', field: 'distance', unit: 'mm' }]
        }
      }
    })
    const codecs = createDeviceCodecs({ config, logger: silentLogger(), now: () => clock })
    await codecs.start()
    const profile = codecs.profiles.get('loop')!
    const code = (bytes: number[]): string => {
      try { codecs.decode(profile, { bytes, fPort: 1 }); return 'ok' } catch (err) { return (err as MimamoriError).code }
    }
    expect(code([0xff, 1])).toBe('MIMAMORI_ERR_CODEC_TIMEOUT')
    expect(code([0x01, 1])).toBe('ok') // a good call in between resets the count
    expect(code([0xff, 1])).toBe('MIMAMORI_ERR_CODEC_TIMEOUT')
    expect(code([0xff, 1])).toBe('MIMAMORI_ERR_CODEC_TIMEOUT')
    expect(code([0x01, 1])).toBe('MIMAMORI_ERR_CODEC_QUARANTINED')
    expect(codecs.health().byCodec['hostile/loop']).toMatchObject({ paused: 1, failures: { timeout: 3, quarantined: 1 } })
    clock += 61_000
    expect(code([0x01, 1])).toBe('ok')
    expect(codecs.health().byCodec['hostile/loop']!.paused).toBe(0)
    await codecs.close()
  })
})
