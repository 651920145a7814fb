import { createHash } from 'node:crypto'
import { isMimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { OfficialRepository, TelegramRow } from '../store/official.js'
import { parseTelegram } from './parse-telegram.js'
import { applyTelegram, stateKey, type AreaState, type StateMap } from './state.js'
import type { Telegram } from './types.js'

export interface ReceiveResult {
  id: string
  outcome: TelegramRow['outcome']
  errorCode?: string
  telegram?: Telegram
  changed: AreaState[]
}

export interface Receiver {
  /** stores the raw telegram, parses it safely and applies it; a refused document changes nothing */
  receive(bytes: Uint8Array, source: string): ReceiveResult
  /** records a document refused before its bytes were read (too large on the wire) */
  refuse(source: string, errorCode: string, size: number): void
  readonly state: ReadonlyMap<string, AreaState>
  onChange(fn: (changed: AreaState[], telegram: Telegram) => void): () => void
}

export interface ReceiverDeps {
  repo: OfficialRepository
  logger: Logger
  /** Control/Status values applied (通常; a drill configuration may add 訓練) */
  statuses: string[]
  /** which area codes (any product) the state keeps; undefined = all */
  relevant?: ((product: string, areaCode: string) => boolean) | undefined
  maxBytes: number
  clock?: () => number
}

/**
 * Intake of one telegram, whatever brought it (poller, replay folder): identified by the SHA-256 of
 * its bytes (the same telegram twice is one row), stored raw with how it was handled, and applied
 * to the per-area state in the same transaction as the state rows it changes.
 */
export function createReceiver ({ repo, logger, statuses, relevant, maxBytes, clock = Date.now }: ReceiverDeps): Receiver {
  const log = logger.child({ component: 'official' })
  const state: StateMap = new Map()
  for (const s of repo.states()) {
    const doc = s.doc as AreaState
    state.set(stateKey(doc.product, doc.areaCode), doc)
  }
  const listeners = new Set<(changed: AreaState[], telegram: Telegram) => void>()

  function receive (bytes: Uint8Array, source: string): ReceiveResult {
    const id = createHash('sha256').update(bytes).digest('hex')
    if (repo.hasTelegram(id)) return { id, outcome: 'duplicate', changed: [] }
    const base = { id, receivedAt: clock(), source, bytes: bytes.byteLength }
    let telegram: Telegram
    try {
      telegram = parseTelegram(bytes, { maxBytes })
    } catch (err) {
      const errorCode = isMimamoriError(err) ? err.code : 'MIMAMORI_ERR_INTERNAL'
      log.warn({ source, errorCode, err: (err as Error).message }, 'telegram refused')
      repo.insertTelegram({ ...base, product: null, infoKind: null, infoType: null, status: null, office: null, eventId: null, serial: null, reportTime: null, headTitle: null, xml: null, outcome: 'refused', errorCode })
      return { id, outcome: 'refused', errorCode, changed: [] }
    }
    const h = telegram.head
    const row: TelegramRow = {
      ...base, product: telegram.product, infoKind: h.infoKind, infoType: h.infoType, status: h.status, office: h.editorialOffice, eventId: h.eventId,
      serial: h.serial, reportTime: h.reportDateTime, headTitle: h.headTitle, xml: Buffer.from(bytes).toString('utf8'), outcome: 'ignored', errorCode: null
    }
    if (!statuses.includes(h.status)) {
      repo.insertTelegram(row)
      return { id, outcome: 'ignored', telegram, changed: [] }
    }
    const kept: Telegram = relevant === undefined ? telegram : { ...telegram, entries: telegram.entries.filter(e => relevant(e.product, e.areaCode)) }
    if (kept.entries.length === 0 && h.infoType !== '取消' && h.infoType !== '訂正') {
      repo.insertTelegram(row)
      return { id, outcome: 'ignored', telegram, changed: [] }
    }
    const result = applyTelegram(state, kept, id)
    const outcome = result.changed.length === 0 && result.stale > 0 ? 'stale' : 'applied'
    repo.transaction(() => {
      repo.insertTelegram({ ...row, outcome })
      for (const s of result.changed) {
        const now = state.get(stateKey(s.product, s.areaCode))
        if (now === undefined) repo.deleteState(s.product, s.areaCode)
        else repo.saveState(s.product, s.areaCode, now, now.reportTime)
      }
    })
    if (result.changed.length > 0) {
      log.info({ source, kind: h.infoKind, infoType: h.infoType, areas: result.changed.length }, 'official state changed')
      for (const fn of listeners) {
        try { fn(result.changed, telegram) } catch (err) { log.error({ err }, 'official state listener failed') }
      }
    }
    return { id, outcome, telegram, changed: result.changed }
  }

  function refuse (source: string, errorCode: string, size: number): void {
    const id = createHash('sha256').update(`refused:${source}`).digest('hex')
    log.warn({ source, errorCode, size }, 'telegram refused')
    repo.insertTelegram({ id, receivedAt: clock(), source, bytes: size, product: null, infoKind: null, infoType: null, status: null, office: null, eventId: null, serial: null, reportTime: null, headTitle: null, xml: null, outcome: 'refused', errorCode })
  }

  return {
    receive,
    refuse,
    state,
    onChange (fn) { listeners.add(fn); return () => { listeners.delete(fn) } }
  }
}
