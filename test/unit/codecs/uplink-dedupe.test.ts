import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createUplinkDedupe } from '../../../store/uplink-dedupe.js'
import { parseChirpstackUp, parseGenericUp, parseTtsUp } from '../../../codecs/lorawan/uplink.js'
import { createReplayGuard, signUplink, verifyUplinkSignature } from '../../../codecs/lorawan/webhook-auth.js'
import { readFileSync } from 'node:fs'
import { REPO_ROOT } from '../../helpers/app.js'

const dir = mkdtempSync(join(tmpdir(), 'mimamori-dedupe-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })
const key = (fCnt: number, byte = 1) => ({ devEui: 'A84041000181C0DE', fCnt, fPort: 2, bytes: Buffer.from([byte]) })

describe('uplink dedupe (DevEUI + fCnt + payload, SQLite)', () => {
  it('runs the first copy, answers duplicate for the next, also after a restart', async () => {
    const file = join(dir, 'a.db')
    const d = createUplinkDedupe({ file, retainMs: 86_400_000 })
    expect(await d.once(key(1), 'chirpstack', async () => 'inserted')).toBe('inserted')
    expect(await d.once(key(1), 'tts', async () => 'inserted')).toBe('duplicate')
    // same counter, different payload (a rejoin reset the counter): a new frame
    expect(await d.once(key(1, 2), 'tts', async () => 'inserted')).toBe('inserted')
    d.close()
    const again = createUplinkDedupe({ file, retainMs: 86_400_000 })
    expect(await again.once(key(1), 'generic', async () => 'inserted')).toBe('duplicate')
    again.close()
  })

  it('lets concurrent copies wait for the first, and a failed first copy be taken again', async () => {
    const d = createUplinkDedupe({ file: join(dir, 'b.db'), retainMs: 86_400_000 })
    let runs = 0
    let release!: () => void
    const first = d.once(key(7), 'chirpstack', async () => { runs++; await new Promise<void>(r => { release = r }); return 'inserted' })
    const second = d.once(key(7), 'tts', async () => { runs++; return 'inserted' })
    await new Promise(r => setImmediate(r))
    release()
    expect([await first, await second]).toEqual(['inserted', 'duplicate'])
    expect(runs).toBe(1)
    await expect(d.once(key(8), 'chirpstack', async () => { throw new Error('store down') })).rejects.toThrow('store down')
    expect(await d.once(key(8), 'chirpstack', async () => 'inserted')).toBe('inserted')
    d.close()
  })
})

describe('network-server messages', () => {
  const fx = (n: string): Buffer => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'lorawan', n))
  it('reduces the ChirpStack, The Things Stack and generic fixtures to the same uplink', () => {
    const cs = parseChirpstackUp(fx('chirpstack-up-ldds75.json'), 'a84041000181c0de')!
    const tts = parseTtsUp(fx('tts-up-ldds75.json'), 'ldds75-akagawa')!
    const gen = parseGenericUp(fx('generic-up-ldds75.json'))
    for (const u of [cs, tts, gen]) expect({ devEui: u.devEui, fCnt: u.fCnt, fPort: u.fPort, hex: u.bytes.toString('hex') }).toEqual({ devEui: 'a84041000181c0de', fCnt: 1001, fPort: 2, hex: '0e1009c40000d701' })
    expect(tts.time).toBe(Date.parse('2025-07-01T03:00:12.520Z'))
    expect(() => parseTtsUp(fx('tts-up-ldds75.json'), 'other-device')).toThrow(/does not match/)
  })

  it('reads a TTS message that leaves zero f_cnt out (protobuf JSON) as frame 0', () => {
    const m = JSON.parse(fx('tts-up-ldds75.json').toString()) as { uplink_message: Record<string, unknown> }
    delete m.uplink_message.f_cnt
    expect(parseTtsUp(Buffer.from(JSON.stringify(m)))!.fCnt).toBe(0)
  })

  it('verifies the generic webhook HMAC over timestamp and body, inside the window', () => {
    const body = Buffer.from('{"a":1}')
    const now = 1_750_000_000_000
    const ts = now / 1000
    const ok = { secrets: [{ id: 'k', secret: 's'.repeat(20) }], keyId: 'k', timestamp: String(ts), signature: signUplink('s'.repeat(20), ts, body), body, nowMs: now, windowS: 300 }
    expect(() => { verifyUplinkSignature(ok) }).not.toThrow()
    expect(() => { verifyUplinkSignature({ ...ok, body: Buffer.from('{"a":2}') }) }).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_WEBHOOK_SIGNATURE' }))
    expect(() => { verifyUplinkSignature({ ...ok, keyId: 'other' }) }).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_WEBHOOK_SIGNATURE' }))
    expect(() => { verifyUplinkSignature({ ...ok, nowMs: now + 301_000 }) }).toThrow(expect.objectContaining({ code: 'MIMAMORI_ERR_WEBHOOK_REPLAY' }))
    const guard = createReplayGuard(300)
    expect(guard.seen('x', now)).toBe(false)
    expect(guard.seen('x', now + 1000)).toBe(true)
  })
})
