import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { readFileSync } from 'node:fs'
import { findCodecYamls, loadCodec, loadCodecFolder, type LoadedCodec } from '../../../codecs/vendor/loader.js'
import { BUILTIN_CODECS_DIR } from '../../../codecs/vendor/builtin.js'
import { REPO_ROOT, SHARED } from '../../helpers/app.js'

const VENDOR_ROOT = join(SHARED, 'devices', 'lorawan')
const tmp: string[] = []
afterAll(() => { for (const d of tmp) rmSync(d, { recursive: true, force: true }) })

describe('our six sensors as codec plug-ins', () => {
  let loaded: LoadedCodec[] = []

  it('every built-in codec loads, proving its own and every referenced vendor example through the sandbox', async () => {
    expect(relative(REPO_ROOT, BUILTIN_CODECS_DIR)).toBe(join('codecs', 'vendor', 'devices'))
    const r = await loadCodecFolder(BUILTIN_CODECS_DIR, { vendorExamplesRoot: VENDOR_ROOT })
    expect(r.refused.map(x => `${x.id}: ${x.error.message}`)).toEqual([])
    loaded = r.loaded
    expect(loaded.map(c => c.id).sort()).toEqual([
      'decentlab/dl-lid', 'decentlab/dl-mbx', 'decentlab/dl-pr36-8192', 'dragino/ldds75', 'dragino/ldds75-114', 'elsys/elt-ultrasonic', 'milesight-iot/em310-udl'
    ])
    for (const c of loaded) expect(c.vendorExamples, c.id).toBeGreaterThan(0)
  })

  it('covers every vendor example in the device repository copy (12), each decoded to its expected output', async () => {
    const vendorYamls = findCodecYamls(VENDOR_ROOT).map(p => relative(VENDOR_ROOT, p)).sort()
    const referenced = findCodecYamls(BUILTIN_CODECS_DIR)
      .map(p => (parseYaml(readFileSync(p, 'utf8')) as { uplinkDecoder: { vendorExamples: string } }).uplinkDecoder.vendorExamples).sort()
    expect(referenced).toEqual(vendorYamls)
    const total = loaded.reduce((n, c) => n + c.vendorExamples, 0)
    const inShared = vendorYamls.reduce((n, y) => n + ((parseYaml(readFileSync(join(VENDOR_ROOT, y), 'utf8')) as { uplinkDecoder: { examples: unknown[] } }).uplinkDecoder.examples.length), 0)
    expect(total).toBe(inShared)
    expect(total).toBe(12)
  })

  it('reads the LDDS75 8-byte frame correctly where the vendor 1.2 codec puts the battery in `distance`', () => {
    const c = loaded.find(x => x.id === 'dragino/ldds75')!.codec
    expect(c.decodeUplink({ bytes: [0x0D, 0x3B, 0x0A, 0xEF, 0x00, 0x00, 0x00, 0x01], fPort: 2 }).data).toMatchObject({ distance: 2799, battery: 3.387 })
  })
})

describe('codec loader', () => {
  const folder = (): string => { const d = mkdtempSync(join(tmpdir(), 'mimamori-codecs-')); tmp.push(d); return d }

  it("runs a vendor's own file unchanged, next to the vendor's YAML, with its examples", async () => {
    // what a town drops in: the device repository's YAML and the vendor's ES5 file, names as published
    const d = folder()
    copyFileSync(join(VENDOR_ROOT, 'milesight-iot', 'em310-udl', 'em310-udl-codec.yaml'), join(d, 'em310-udl-codec.yaml'))
    writeFileSync(join(d, 'em310-udl.js'), `/**
 * Payload Decoder in the style vendors ship: ES5, helpers, var, a legacy Decoder() wrapper
 */
function decodeUplink(input) {
    var decoded = milesight(input.bytes);
    return { data: decoded };
}
function Decoder(bytes, port) { return milesight(bytes); }
function milesight(bytes) {
    var decoded = {};
    for (var i = 0; i < bytes.length; ) {
        var channel_id = bytes[i++];
        var channel_type = bytes[i++];
        if (channel_id === 0x01 && channel_type === 0x75) { decoded.battery = bytes[i]; i += 1; }
        else if (channel_id === 0x03 && channel_type === 0x82) { decoded.distance = readUInt16LE(bytes.slice(i, i + 2)); i += 2; }
        else if (channel_id === 0x04 && channel_type === 0x00) { decoded.tilt = bytes[i] === 0 ? "normal" : "tilt"; i += 1; }
        else { break; }
    }
    return decoded;
}
function readUInt16LE(bytes) { var value = (bytes[1] << 8) + bytes[0]; return value & 0xffff; }
`)
    const r = await loadCodecFolder(d)
    expect(r.refused).toEqual([])
    expect(r.loaded[0]).toMatchObject({ examples: 1 })
    r.loaded[0]!.codec.dispose()
  })

  it('refuses a codec whose example fails, naming the example and the difference', async () => {
    const d = folder()
    copyFileSync(join(VENDOR_ROOT, 'decentlab', 'dl-mbx', 'dl-mbx-codec.yaml'), join(d, 'dl-mbx-codec.yaml'))
    // a decoder that forgets the battery group and scales the distance wrongly
    writeFileSync(join(d, 'dl-mbx.js'), `function decodeUplink(input) { var b = input.bytes; var d = { protocol_version: b[0], device_id: (b[1] << 8) | b[2] };
      if (b.length > 7) { d.distance = { displayName: 'Distance', unit: 'mm', value: ((b[5] << 8) | b[6]) / 10 }; d.number_of_valid_samples = { displayName: 'Number of valid samples', value: (b[7] << 8) | b[8] } }
      return { data: d } }`)
    const r = await loadCodecFolder(d)
    expect(r.loaded).toEqual([])
    const refusal = r.refused[0]!
    expect(refusal.error.code).toBe('MIMAMORI_ERR_CODEC_EXAMPLE')
    expect(refusal.failures[0]).toMatchObject({ description: 'Example 1', input: { fPort: 1, bytes: '02012F000304D200010BB1' } })
    expect(refusal.failures[0]!.differences).toEqual(expect.arrayContaining(['data.distance.value: expected 1234, got 123.4', 'data.battery_voltage: expected {"displayName":"Battery voltage","unit":"V","value":2.993}, missing']))
    expect(refusal.error.message).toContain('Example 1')
  })

  it('refuses a codec without examples, a missing JS file, and a hostile one at load', async () => {
    const d = folder()
    writeFileSync(join(d, 'a-codec.yaml'), 'uplinkDecoder:\n  fileName: a.js\n')
    writeFileSync(join(d, 'a.js'), 'function decodeUplink () { return { data: {} } }')
    writeFileSync(join(d, 'b-codec.yaml'), 'uplinkDecoder:\n  fileName: missing.js\n  examples: []\n')
    writeFileSync(join(d, 'c-codec.yaml'), 'uplinkDecoder:\n  fileName: c.js\n  examples:\n    - input: { fPort: 1, bytes: [1] }\n      output: { data: { a: 1 } }\n')
    writeFileSync(join(d, 'c.js'), 'for (;;) {}')
    const r = await loadCodecFolder(d)
    expect(r.refused.map(x => [x.id.split('/')[1], x.error.code])).toEqual([
      ['a', 'MIMAMORI_ERR_CODEC_EXAMPLE'], ['b', 'MIMAMORI_ERR_CODEC_LOAD'], ['c', 'MIMAMORI_ERR_CODEC_TIMEOUT']
    ])
  })

  it('refuses a vendorExamples reference that escapes the root', async () => {
    const d = folder()
    writeFileSync(join(d, 'x-codec.yaml'), 'uplinkDecoder:\n  fileName: x.js\n  vendorExamples: ../../etc/passwd\n')
    writeFileSync(join(d, 'x.js'), 'function decodeUplink () { return { data: {} } }')
    await expect(loadCodec('t/x', join(d, 'x-codec.yaml'), { vendorExamplesRoot: VENDOR_ROOT })).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CODEC_LOAD' })
  })
})
