import { Counter, Gauge, Registry } from 'prom-client'
import type { ThrottleReason } from './login-guard.js'

/** Sign-in figures for /metrics (merged into the dashboard's registry by dashboard/server/metrics.ts). */
export interface AuthMetrics {
  readonly registry: Registry
  login(result: 'success' | 'failure' | 'throttled'): void
  throttled(reason: ThrottleReason): void
  /** a right password from a known device while the account was locked for others */
  knownDevicePassed(): void
  unlocked(via: 'admin' | 'cli'): void
}

export function createAuthMetrics ({ lockedAccounts }: { lockedAccounts: () => number }): AuthMetrics {
  const registry = new Registry()
  const attempts = new Counter({ name: 'mimamori_dashboard_login_attempts_total', help: 'dashboard sign-in attempts, by result (throttled ones cost no password check)', labelNames: ['result'], registers: [registry] })
  const throttled = new Counter({ name: 'mimamori_dashboard_login_throttled_total', help: 'sign-ins refused with 429 before the password check, by limit (address, account, client back-off)', labelNames: ['reason'], registers: [registry] })
  const known = new Counter({ name: 'mimamori_dashboard_login_known_device_total', help: 'right passwords let through from a known device while the account was locked for other clients', registers: [registry] })
  const unlocks = new Counter({ name: 'mimamori_dashboard_account_unlocks_total', help: 'sign-in locks lifted by an admin, by where (admin page/API or CLI)', labelNames: ['via'], registers: [registry] })
  // eslint-disable-next-line no-new -- registered, read at scrape time
  new Gauge({ name: 'mimamori_dashboard_locked_accounts', help: 'accounts now refusing sign-in from clients they have not signed in from', registers: [registry], collect () { this.set(lockedAccounts()) } })
  for (const r of ['success', 'failure', 'throttled']) attempts.inc({ result: r }, 0)
  for (const r of ['address', 'account', 'client']) throttled.inc({ reason: r }, 0)
  for (const v of ['admin', 'cli']) unlocks.inc({ via: v }, 0)
  return {
    registry,
    login: (result) => { attempts.inc({ result }) },
    throttled: (reason) => { throttled.inc({ reason }) },
    knownDevicePassed: () => { known.inc() },
    unlocked: (via) => { unlocks.inc({ via }) }
  }
}
