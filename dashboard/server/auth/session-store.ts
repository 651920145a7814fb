import type Database from 'better-sqlite3'
import type { Session } from 'fastify'

declare module 'fastify' {
  interface Session {
    userId?: string
    /** synchronizer token: every state-changing request of this session sends it as x-csrf-token */
    csrf?: string
    demo?: boolean
  }
}

type Callback = (err?: unknown) => void
type CallbackSession = (err: unknown, result?: Session | null) => void

export interface SessionStoreOptions {
  idleMs: number
  absoluteMs: number
  now?: () => number
}

interface Row { doc: string, created_at: number, seen_at: number }

/**
 * @fastify/session store in the embedded database, so sessions survive a restart
 * and a password change or a disabled account can end them (accounts.ts deletes
 * by user_id). Idle and absolute expiry are enforced here, on read.
 */
export function createSqliteSessionStore (db: Database.Database, { idleMs, absoluteMs, now = Date.now }: SessionStoreOptions) {
  const select = db.prepare<[string], Row>('SELECT doc, created_at, seen_at FROM sessions WHERE id = ?')
  const upsert = db.prepare(`INSERT INTO sessions (id, user_id, doc, created_at, seen_at) VALUES (?, ?, ?, ?, ?)
    ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, doc = excluded.doc, seen_at = excluded.seen_at`)
  const remove = db.prepare('DELETE FROM sessions WHERE id = ?')
  const purge = db.prepare('DELETE FROM sessions WHERE seen_at < ? OR created_at < ?')
  let lastPurge = 0

  return {
    get (sessionId: string, callback: CallbackSession): void {
      try {
        const row = select.get(sessionId)
        const t = now()
        if (row === undefined) { callback(null, null); return }
        if (t - row.seen_at > idleMs || t - row.created_at > absoluteMs) {
          remove.run(sessionId)
          callback(null, null)
          return
        }
        callback(null, JSON.parse(row.doc) as Session)
      } catch (err) {
        callback(err)
      }
    },
    set (sessionId: string, session: Session, callback: Callback): void {
      try {
        const t = now()
        upsert.run(sessionId, session.userId ?? null, JSON.stringify(session), t, t)
        if (t - lastPurge > 60_000) {
          lastPurge = t
          purge.run(t - idleMs, t - absoluteMs)
        }
        callback()
      } catch (err) {
        callback(err)
      }
    },
    destroy (sessionId: string, callback: Callback): void {
      try {
        remove.run(sessionId)
        callback()
      } catch (err) {
        callback(err)
      }
    }
  }
}
