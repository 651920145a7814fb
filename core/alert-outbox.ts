import type { Alert } from './types.js'

/** One change of an alert that people may have to hear about (a transition, or a severity escalation). */
export interface AlertChange {
  alert: Alert
  /** the new state, or 'severity' for an escalation without a state change */
  kind: string
  from: string | null
  by: string | null
  /** one human action on several alerts: the notifier sends once for the group */
  group?: string | undefined
}

/**
 * How alerts hand their notifications over without writing another part's table:
 * the alerts part calls `enqueue` inside the transaction that commits the
 * transition, and the implementation (notify/outbox.ts) writes its own table on
 * the same connection — so a change is notified if and only if it committed
 * ("nothing lost", nothing announced that did not happen).
 *
 * `connection` is the database connection the outbox writes through; the alerts
 * part refuses one that is not its own (another file, another thread), because
 * then the two writes would not share a transaction.
 */
export interface AlertOutbox {
  readonly connection: object
  enqueue(change: AlertChange): void
  /** the alerts service owns the outbox it is given: it calls this after closing its own tables */
  close?(): void
}
