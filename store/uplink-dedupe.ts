import { createHash } from 'node:crypto'
import { openParts } from './db.js'
import { UPLINKS_PART } from './uplinks-schema.js'
import { storeSteps } from './store-error.js'

export interface UplinkKey {
  devEui: string
  fCnt: number
  fPort: number
  bytes: Uint8Array
}

export interface UplinkDedupe {
  /**
   * Runs `work` for the first copy of an uplink and answers 'duplicate' for
   * every other copy: one already recorded (durably, across restarts), or one
   * arriving while the first is still being stored (it waits for that one; if
   * the first fails, the waiting copy does the work instead). The key is
   * recorded only after `work` succeeded, so a copy refused for storage trouble
   * is taken again when it is redelivered.
   */
  once<T>(key: UplinkKey, via: string, work: () => Promise<T>): Promise<T | 'duplicate'>
  close(): void
}

/**
 * DevEUI + frame counter + payload digest. The frame counter alone would call
 * a device's first frames after a rejoin (counter back to 0) duplicates of the
 * old session's; with the payload a true repeat still matches and a new
 * measurement does not. Keys older than `retainMs` are pruned.
 */
export function createUplinkDedupe ({ file, retainMs, now = Date.now }: { file: string, retainMs: number, now?: () => number }): UplinkDedupe {
  const handle = openParts(file, [UPLINKS_PART], { what: 'uplink dedupe' })
  const db = handle.db
  const has = db.prepare<[string, number, string], { one: number }>('SELECT 1 AS one FROM lorawan_uplinks WHERE dev_eui = ? AND f_cnt = ? AND digest = ?')
  const put = db.prepare('INSERT OR IGNORE INTO lorawan_uplinks (dev_eui, f_cnt, digest, at, via) VALUES (?, ?, ?, ?, ?)')
  const prune = db.prepare('DELETE FROM lorawan_uplinks WHERE at < ?')
  const inFlight = new Map<string, Promise<unknown>>()
  let sincePrune = 0

  const wrap = storeSteps('uplink dedupe')

  async function once<T> (key: UplinkKey, via: string, work: () => Promise<T>): Promise<T | 'duplicate'> {
    const devEui = key.devEui.toLowerCase()
    const digest = createHash('sha256').update(Buffer.from([key.fPort & 0xff])).update(key.bytes).digest('base64url').slice(0, 22)
    const k = `${devEui}/${key.fCnt}/${digest}`
    for (;;) {
      const pending = inFlight.get(k)
      if (pending === undefined) break
      // a copy of this frame is being stored: its outcome decides ours
      try { await pending; return 'duplicate' } catch { /* the first copy failed: try again ourselves */ }
    }
    if (wrap('read', () => has.get(devEui, key.fCnt, digest)) !== undefined) return 'duplicate'
    const p = work()
    inFlight.set(k, p)
    try {
      const r = await p
      wrap('write', () => put.run(devEui, key.fCnt, digest, now(), via))
      if (++sincePrune >= 1000) { sincePrune = 0; wrap('prune', () => prune.run(now() - retainMs)) }
      return r
    } finally {
      inFlight.delete(k)
    }
  }

  return {
    once,
    close () { handle.release() }
  }
}
