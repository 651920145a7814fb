import { randomUUID } from 'node:crypto'
import type Database from 'better-sqlite3'
import { openParts } from '../store/db.js'
import { NOTIFY_PART } from './schema.js'
import type { Advisory, ChannelName, Subscription, SubscriptionInput } from './types.js'
import type { DeliveryRow } from '../core/notify-types.js'
import { storeSteps } from '../store/store-error.js'

export type { DeliveryRow } from '../core/notify-types.js'

export interface NotifyEventRow {
  id: number
  source: 'alert' | 'advisory' | 'escalation'
  refId: string
  kind: string
  doc: Record<string, unknown>
  createdAt: number
}

export interface NewDelivery {
  channel: ChannelName
  recipient: string
  address: string
  nextAt: number
  /** duplicates by this key are ignored; default `${eventId}:${recipient}:${channel}` */
  idemKey?: string
}

/**
 * The notifier's tables in the embedded SQLite file (the notify part: notify/schema.ts), on the
 * thread's shared handle (store/db.ts). Alerts are read and annotated only through the alerts API.
 * No cache: the dashboard process (subscriptions, advisories) and the process that owns
 * alerts (fan-out, drain) see the same rows. Every multi-row change is one transaction.
 */
export interface NotifyStore {
  readonly db: Database.Database
  /** events not yet turned into deliveries, oldest first */
  unfanned(limit: number): NotifyEventRow[]
  /** one transaction: the deliveries (duplicates by idempotency key ignored) and the event marked done */
  fanOut(eventId: number, deliveries: NewDelivery[], at: number): number
  /** claims due deliveries for `leaseMs` (state sending): a crash leaves them to be claimed again after it */
  claimDue(now: number, limit: number, leaseMs: number): DeliveryRow[]
  event(id: number): NotifyEventRow | undefined
  markSent(id: number, at: number): void
  markRetry(id: number, nextAt: number, error: string): void
  markFailed(id: number, error: string): void
  pendingByChannel(): Map<string, number>
  deliveries(filter: { state?: string, channel?: string, eventId?: number, limit?: number }): DeliveryRow[]
  insertEvent(source: NotifyEventRow['source'], refId: string, kind: string, doc: unknown, at: number): number
  subscriptions(filter?: { userId?: string }): Subscription[]
  subscription(id: string): Subscription | undefined
  /** insert, or update the one with the same user, channel and address */
  upsertSubscription(input: SubscriptionInput, at: number): Subscription
  deleteSubscription(id: string): boolean
  advisory(id: string): Advisory | undefined
  advisories(limit: number): Advisory[]
  saveAdvisory(a: Advisory): void
  escalation(alertId: string): { step: number, lastAt: number } | undefined
  setEscalation(alertId: string, step: number, lastAt: number): void
  putCap(entry: { identifier: string, advisoryId: string, sent: number, xml: string, drill: boolean }): void
  capEntries(limit: number, drills: boolean): Array<{ identifier: string, advisoryId: string, sent: number, xml: string }>
  cap(identifier: string): string | undefined
  /** deletes sent/failed deliveries and finished events older than `before` */
  prune(before: number): number
  transaction<T>(fn: () => T): T
  close(): void
}

interface SubscriptionRowDb { id: string, user_id: string, role: string, channel: string, address: string, doc: string, created_at: number, updated_at: number }

export function openNotifyStore (file: string): NotifyStore {
  const handle = openParts(file, [NOTIFY_PART], { what: 'notifications' })
  const db = handle.db
  const wrap = storeSteps('notify')
  const s = prepare(db)
  const claim = db.transaction((now: number, limit: number, leaseMs: number): DeliveryRow[] => {
    const rows = s.due.all(now, limit).map(toDelivery)
    for (const r of rows) s.lease.run(now + leaseMs, r.id)
    return rows.map(r => ({ ...r, attempts: r.attempts + 1, state: 'sending' as const }))
  })
  let closed = false

  return {
    db,
    unfanned: limit => wrap('read events', () => s.unfanned.all(limit).map(toEvent)),
    fanOut: (eventId, list, at) => wrap('fan out', () => db.transaction(() => {
      let n = 0
      for (const d of list) n += s.insertDelivery.run(eventId, d.channel, d.recipient, d.address, d.idemKey ?? `${eventId}:${d.recipient}:${d.channel}`, d.nextAt, at).changes
      s.fanned.run(at, eventId)
      return n
    }).immediate()),
    claimDue: (now, limit, leaseMs) => wrap('claim', () => claim.immediate(now, limit, leaseMs)),
    event: id => wrap('event', () => { const r = s.event.get(id); return r === undefined ? undefined : toEvent(r) }),
    markSent: (id, at) => { wrap('mark sent', () => s.sent.run(at, id)) },
    markRetry: (id, nextAt, error) => { wrap('mark retry', () => s.retry.run(nextAt, error.slice(0, 500), id)) },
    markFailed: (id, error) => { wrap('mark failed', () => s.failed.run(error.slice(0, 500), id)) },
    pendingByChannel: () => wrap('pending', () => new Map(s.pending.all().map(r => [r.channel, r.n]))),
    deliveries: f => wrap('deliveries', () => {
      const where: string[] = []
      const args: unknown[] = []
      if (f.state !== undefined) { where.push('state = ?'); args.push(f.state) }
      if (f.channel !== undefined) { where.push('channel = ?'); args.push(f.channel) }
      if (f.eventId !== undefined) { where.push('event_id = ?'); args.push(f.eventId) }
      args.push(f.limit ?? 200)
      return (db.prepare(`SELECT * FROM notify_deliveries ${where.length > 0 ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`).all(...args) as Array<Record<string, unknown>>).map(toDelivery)
    }),
    insertEvent: (source, refId, kind, doc, at) => wrap('insert event', () => Number(s.insertEvent.run(source, refId, kind, JSON.stringify(doc), at).lastInsertRowid)),
    subscriptions: (f = {}) => wrap('subscriptions', () => (f.userId === undefined ? s.subs.all() : s.subsByUser.all(f.userId)).map(toSub)),
    subscription: id => wrap('subscription', () => { const r = s.sub.get(id); return r === undefined ? undefined : toSub(r) }),
    upsertSubscription: (input, at) => wrap('save subscription', () => db.transaction(() => {
      const existing = input.id !== undefined ? s.sub.get(input.id) : s.subByAddress.get(input.userId, input.channel, input.address)
      const id = existing?.id ?? input.id ?? randomUUID()
      const doc = {
        hunterId: input.hunterId ?? null,
        kinds: input.kinds ?? [],
        stations: input.stations ?? [],
        rivers: input.rivers ?? [],
        area: input.area ?? null,
        minSeverity: input.minSeverity ?? 'minor',
        minLevel: input.minLevel ?? 0,
        advisories: input.advisories ?? false,
        quietHours: input.quietHours ?? null
      }
      s.upsertSub.run({ id, userId: input.userId, role: input.role, channel: input.channel, address: input.address, doc: JSON.stringify(doc), createdAt: existing?.created_at ?? at, updatedAt: at })
      return toSub(s.sub.get(id)!)
    }).immediate()),
    deleteSubscription: id => wrap('delete subscription', () => s.deleteSub.run(id).changes > 0),
    advisory: id => wrap('advisory', () => { const r = s.advisory.get(id); return r === undefined ? undefined : JSON.parse(r.doc) as Advisory }),
    advisories: limit => wrap('advisories', () => s.advisories.all(limit).map(r => JSON.parse(r.doc) as Advisory)),
    saveAdvisory: a => { wrap('save advisory', () => s.saveAdvisory.run({ id: a.id, alertId: a.alertId, level: a.level, area: a.area, status: a.status, version: a.version, doc: JSON.stringify(a), createdAt: a.createdAt, updatedAt: a.updatedAt })) },
    escalation: alertId => wrap('escalation', () => { const r = s.escalation.get(alertId); return r === undefined ? undefined : { step: r.step, lastAt: r.last_at } }),
    setEscalation: (alertId, step, lastAt) => { wrap('escalation', () => s.setEscalation.run(alertId, step, lastAt)) },
    putCap: e => { wrap('cap', () => s.putCap.run(e.identifier, e.advisoryId, e.sent, e.xml, e.drill ? 1 : 0)) },
    capEntries: (limit, drills) => wrap('cap', () => (drills ? s.capAll : s.capPublic).all(limit).map(r => ({ identifier: r.identifier, advisoryId: r.advisory_id, sent: r.sent, xml: r.xml }))),
    cap: identifier => wrap('cap', () => s.cap.get(identifier)?.xml),
    prune: before => wrap('prune', () => db.transaction(() => s.pruneDeliveries.run(before).changes + s.pruneEvents.run(before).changes).immediate()),
    transaction: fn => wrap('transaction', () => db.transaction(fn).immediate()),
    close () {
      if (closed) return
      closed = true
      handle.release()
    }
  }
}

/** every statement of the notify part, prepared once per store */
function prepare (db: Database.Database) {
  return {
    unfanned: db.prepare<[number], { id: number, source: string, ref_id: string, kind: string, doc: string, created_at: number }>(
      'SELECT * FROM notify_events WHERE fanned_out_at IS NULL ORDER BY id LIMIT ?'),
    event: db.prepare<[number], { id: number, source: string, ref_id: string, kind: string, doc: string, created_at: number }>('SELECT * FROM notify_events WHERE id = ?'),
    insertDelivery: db.prepare(`INSERT OR IGNORE INTO notify_deliveries (event_id, channel, recipient, address, idem_key, state, next_at, created_at)
      VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)`),
    fanned: db.prepare('UPDATE notify_events SET fanned_out_at = ? WHERE id = ?'),
    due: db.prepare<[number, number], Record<string, unknown>>(`SELECT * FROM notify_deliveries WHERE state IN ('pending', 'sending') AND next_at <= ? ORDER BY next_at, id LIMIT ?`),
    lease: db.prepare("UPDATE notify_deliveries SET state = 'sending', attempts = attempts + 1, next_at = ? WHERE id = ?"),
    sent: db.prepare("UPDATE notify_deliveries SET state = 'sent', sent_at = ?, last_error = NULL WHERE id = ?"),
    retry: db.prepare("UPDATE notify_deliveries SET state = 'pending', next_at = ?, last_error = ? WHERE id = ?"),
    failed: db.prepare("UPDATE notify_deliveries SET state = 'failed', last_error = ? WHERE id = ?"),
    pending: db.prepare<[], { channel: string, n: number }>("SELECT channel, COUNT(*) AS n FROM notify_deliveries WHERE state IN ('pending', 'sending') GROUP BY channel"),
    insertEvent: db.prepare('INSERT INTO notify_events (source, ref_id, kind, doc, created_at) VALUES (?, ?, ?, ?, ?)'),
    subs: db.prepare<[], SubscriptionRowDb>('SELECT * FROM notify_subscriptions ORDER BY created_at, id'),
    subsByUser: db.prepare<[string], SubscriptionRowDb>('SELECT * FROM notify_subscriptions WHERE user_id = ? ORDER BY created_at, id'),
    sub: db.prepare<[string], SubscriptionRowDb>('SELECT * FROM notify_subscriptions WHERE id = ?'),
    subByAddress: db.prepare<[string, string, string], SubscriptionRowDb>('SELECT * FROM notify_subscriptions WHERE user_id = ? AND channel = ? AND address = ?'),
    upsertSub: db.prepare(`INSERT INTO notify_subscriptions (id, user_id, role, channel, address, doc, created_at, updated_at) VALUES (@id, @userId, @role, @channel, @address, @doc, @createdAt, @updatedAt)
      ON CONFLICT (id) DO UPDATE SET role = @role, doc = @doc, updated_at = @updatedAt`),
    deleteSub: db.prepare('DELETE FROM notify_subscriptions WHERE id = ?'),
    advisory: db.prepare<[string], { doc: string }>('SELECT doc FROM notify_advisories WHERE id = ?'),
    advisories: db.prepare<[number], { doc: string }>('SELECT doc FROM notify_advisories ORDER BY created_at DESC LIMIT ?'),
    saveAdvisory: db.prepare(`INSERT INTO notify_advisories (id, alert_id, level, area, status, version, doc, created_at, updated_at) VALUES (@id, @alertId, @level, @area, @status, @version, @doc, @createdAt, @updatedAt)
      ON CONFLICT (id) DO UPDATE SET level = @level, area = @area, status = @status, version = @version, doc = @doc, updated_at = @updatedAt`),
    escalation: db.prepare<[string], { step: number, last_at: number }>('SELECT step, last_at FROM notify_escalations WHERE alert_id = ?'),
    setEscalation: db.prepare('INSERT INTO notify_escalations (alert_id, step, last_at) VALUES (?, ?, ?) ON CONFLICT (alert_id) DO UPDATE SET step = excluded.step, last_at = excluded.last_at'),
    putCap: db.prepare('INSERT OR IGNORE INTO notify_cap (identifier, advisory_id, sent, xml, drill) VALUES (?, ?, ?, ?, ?)'),
    capAll: db.prepare<[number], { identifier: string, advisory_id: string, sent: number, xml: string }>('SELECT * FROM notify_cap ORDER BY sent DESC, rowid DESC LIMIT ?'),
    capPublic: db.prepare<[number], { identifier: string, advisory_id: string, sent: number, xml: string }>('SELECT * FROM notify_cap WHERE drill = 0 ORDER BY sent DESC, rowid DESC LIMIT ?'),
    cap: db.prepare<[string], { xml: string }>('SELECT xml FROM notify_cap WHERE identifier = ?'),
    pruneDeliveries: db.prepare("DELETE FROM notify_deliveries WHERE state IN ('sent', 'failed') AND created_at < ?"),
    pruneEvents: db.prepare('DELETE FROM notify_events WHERE fanned_out_at IS NOT NULL AND created_at < ? AND NOT EXISTS (SELECT 1 FROM notify_deliveries d WHERE d.event_id = notify_events.id)')
  }
}

const toEvent = (r: { id: number, source: string, ref_id: string, kind: string, doc: string, created_at: number }): NotifyEventRow =>
  ({ id: r.id, source: r.source as NotifyEventRow['source'], refId: r.ref_id, kind: r.kind, doc: JSON.parse(r.doc) as Record<string, unknown>, createdAt: r.created_at })
const toDelivery = (r: Record<string, unknown>): DeliveryRow => ({
  id: r.id as number,
  eventId: r.event_id as number,
  channel: r.channel as ChannelName,
  recipient: r.recipient as string,
  address: r.address as string,
  idemKey: r.idem_key as string,
  state: r.state as DeliveryRow['state'],
  attempts: r.attempts as number,
  nextAt: r.next_at as number,
  lastError: r.last_error as string | null,
  sentAt: r.sent_at as number | null,
  createdAt: r.created_at as number
})
const toSub = (r: SubscriptionRowDb): Subscription => ({
  ...(JSON.parse(r.doc) as Omit<Subscription, 'id' | 'userId' | 'role' | 'channel' | 'address' | 'createdAt' | 'updatedAt'>),
  id: r.id,
  userId: r.user_id,
  role: r.role as Subscription['role'],
  channel: r.channel as Subscription['channel'],
  address: r.address,
  createdAt: r.created_at,
  updatedAt: r.updated_at
})
