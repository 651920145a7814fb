import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../core/config/load.js'
import { silentLogger } from '../../core/logger.js'
import { openPersistence } from '../../broker/persistence.js'

interface WillPacket { topic: string, payload: Buffer, qos: number, retain: boolean, brokerId?: string, clientId?: string }
interface WillApi {
  setup(broker: { id: string }): Promise<void>
  putWill(client: { id: string }, packet: WillPacket): Promise<void>
  getWill(client: { id: string }): Promise<WillPacket | undefined>
  delWill(client: { id: string }): Promise<WillPacket | undefined>
  streamWill(brokers?: Record<string, unknown>): AsyncIterable<WillPacket>
}

const will = (id: string, n: number): WillPacket => ({ topic: `mmr/v1/gauge/${id}/status`, payload: Buffer.from(`{"online":false,"n":${n}}`), qos: 1, retain: true })
const body = (p: WillPacket | undefined): string | undefined => p === undefined ? undefined : Buffer.from(p.payload).toString()

/**
 * Wills on the level backend go through the same LevelDB batches as retained messages
 * (broker/will-batch.ts, broker/level-batch.ts): a reconnect storm's CONNECTs put their wills in
 * one batch per moment. Reads and deletes keep the order of the writes made before them, so what
 * aedes reads back, and what a restarted broker finds on disk, is always the last will stored.
 */
describe('wills written in batches', () => {
  const dirs: string[] = []
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('a burst of puts is one batch; a read or delete right after a put sees it; the newest will of each client is on disk after reopening', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-wills-'))
    dirs.push(dataDir)
    const config = loadConfig({ overrides: { dataDir, log: { level: 'silent' } } })
    const open = async (): Promise<{ choice: Awaited<ReturnType<typeof openPersistence>>, p: WillApi }> => {
      const choice = await openPersistence(config, silentLogger())
      const p = choice.persistence as unknown as WillApi
      await p.setup({ id: 'broker-1' })
      return { choice, p }
    }
    const first = await open()
    const ids = Array.from({ length: 30 }, (_, i) => `g${i}`)
    // one moment: 30 CONNECTs put their wills, g0–g9 twice (the newest wins)
    const puts = ids.map(async id => { await first.p.putWill({ id }, will(id, 1)) })
    for (const id of ids.slice(0, 10)) puts.push(first.p.putWill({ id }, will(id, 2)))
    // read and deleted in the same moment as the puts: they wait for the puts before them
    const g10 = first.p.getWill({ id: 'g10' })
    const g11 = first.p.delWill({ id: 'g11' })
    await Promise.all(puts)
    expect(body(await g10)).toBe('{"online":false,"n":1}')
    expect(body(await g11)).toBe('{"online":false,"n":1}')
    expect(first.choice.willWrites?.coalesced).toBe(10)
    // 30 puts (10 of them superseded) in the first batch, g11's delete in the next
    expect(first.choice.willWrites).toEqual({ batches: 2, written: 31, coalesced: 10 })
    // a put right after a delete of the same client is not overtaken by it
    const del = first.p.delWill({ id: 'g12' })
    const put = first.p.putWill({ id: 'g12' }, will('g12', 3))
    await Promise.all([del, put])
    expect(body(await first.p.getWill({ id: 'g12' }))).toBe('{"online":false,"n":3}')
    expect(await first.p.getWill({ id: 'g11' })).toBeUndefined()
    await first.choice.close()

    const again = await open()
    const onDisk = new Map<string, WillPacket>()
    for await (const w of again.p.streamWill()) onDisk.set(w.clientId!, w)
    expect(onDisk.size).toBe(29)
    expect(onDisk.has('g11')).toBe(false)
    for (const id of ids.filter(i => i !== 'g11')) {
      const n = id === 'g12' ? 3 : Number(id.slice(1)) < 10 ? 2 : 1
      expect(body(onDisk.get(id))).toBe(`{"online":false,"n":${n}}`)
      expect(onDisk.get(id)?.brokerId).toBe('broker-1')
      expect(body(await again.p.getWill({ id }))).toBe(`{"online":false,"n":${n}}`)
    }
    await again.choice.close()
  })
})
