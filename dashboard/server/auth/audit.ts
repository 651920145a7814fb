import type Database from 'better-sqlite3'

export interface AuditEntry {
  id: number
  at: number
  /** user name; null for the CLI run by the operating-system user */
  actor: string | null
  role: string | null
  via: string | null
  ip: string | null
  /** e.g. alert.ack, downlink.send, user.add, hunter.delete, login.fail */
  action: string
  subject: string | null
  detail: Record<string, unknown>
}

export type NewAuditEntry = Omit<AuditEntry, 'id' | 'at'> & { at?: number }

export interface AuditLog {
  record(e: NewAuditEntry): void
  list(q?: { limit?: number, before?: number, action?: string }): AuditEntry[]
  /**
   * true when `action` was done on `subject` (case-insensitive) after `sinceMs`, by the CLI or by an admin whose
   * request succeeded (another process's too). Refused attempts are audited under the same action name, so
   * they must never count: an anonymous POST …/unlock would otherwise unlock.
   */
  doneAfter(action: string, subject: string, sinceMs: number): boolean
}

interface Row { id: number, at: number, actor: string | null, role: string | null, via: string | null, ip: string | null, action: string, subject: string | null, detail: string }

/** Append-only: who did what to which subject, when and from where. Nothing here updates or deletes a row. */
export function createAuditLog (db: Database.Database): AuditLog {
  const insert = db.prepare('INSERT INTO audit_log (at, actor, role, via, ip, action, subject, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
  const select = db.prepare<[number, string | null, string | null, number], Row>(
    'SELECT * FROM audit_log WHERE id < ? AND (? IS NULL OR action = ?) ORDER BY id DESC LIMIT ?'
  )
  // by time first (audit_log_by_time): only the rows since the moment asked about are read
  const after = db.prepare<[number, string, string], { n: number }>(
    `SELECT count(*) AS n FROM audit_log WHERE at > ? AND action = ? AND subject = ? COLLATE NOCASE
       AND (via LIKE 'cli:%' OR (role = 'admin' AND json_extract(detail, '$.status') BETWEEN 200 AND 299))`
  )
  return {
    doneAfter: (action, subject, sinceMs) => (after.get(sinceMs, action, subject)?.n ?? 0) > 0,
    record (e) {
      insert.run(e.at ?? Date.now(), e.actor, e.role, e.via, e.ip, e.action, e.subject, JSON.stringify(e.detail))
    },
    list ({ limit = 200, before = Number.MAX_SAFE_INTEGER, action } = {}) {
      const a = action ?? null
      return select.all(before, a, a, limit).map(r => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }))
    }
  }
}
