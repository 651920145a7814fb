import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import fastifyCookie from '@fastify/cookie'
import fastifyHelmet from '@fastify/helmet'
import fastifySession from '@fastify/session'
import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify'
import type { Config } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import type { Logger } from '../../../core/logger.js'
import type { Access } from './access.js'
import { openAccounts, type Accounts, type User } from './accounts.js'
import { createAuditLog, type AuditLog } from './audit.js'
import { registerAuthHook } from './hook.js'
import { createDemoLink, type DemoLink } from './demo-link.js'
import { createKnownDevices } from './known-device.js'
import { createStreamLimits, type StreamLimits } from './limiter.js'
import { createLoginGuard } from './login-guard.js'
import { createAuthMetrics, type AuthMetrics } from './metrics.js'
import { authRoutes } from './routes.js'
import { createSqliteSessionStore } from './session-store.js'

export const DEMO_USER = 'demo'

/** `responses`: the status codes the route's response schema declares (dashboard/contract); `hidden`: left out of OpenAPI (pages, files) */
export type AccessTable = Array<{ method: string, url: string, access: Access | undefined, stream: boolean, responses: string[], hidden: boolean }>

declare module 'fastify' {
  interface FastifyInstance {
    /** every route and the access it declares (auth/access.ts) */
    accessTable: AccessTable
  }
}
const LOOPBACK_BINDS = new Set(['127.0.0.1', '::1', 'localhost'])

export interface Auth {
  readonly accounts: Accounts
  readonly audit: AuditLog
  readonly streams: StreamLimits
  /** sign-in counters for /metrics */
  readonly metrics: AuthMetrics
  /** the demo's one-time sign-in token (undefined unless dashboard.auth.demoLogin) */
  readonly demoLink: DemoLink | undefined
  /** where a freshly minted demo link is announced (set once the dashboard knows its URL) */
  announceDemoLinks(base: string): void
  /** refuses a network bind without an admin, and demo login anywhere but loopback (defence in depth: the link needs its token too) */
  checkBind(): void
  close(): void
}

export function isLoopbackHost (host: string): boolean {
  return LOOPBACK_BINDS.has(host) || host.startsWith('127.')
}

/** Root-level plugin (hooks apply to every route), loaded after the session plugin so its hook runs second. */
function rootPlugin (fn: FastifyPluginAsync): FastifyPluginAsync {
  return Object.assign(fn, { [Symbol.for('skip-override')]: true })
}

/**
 * Accounts, sessions, the access hook, security headers and the auth/admin routes.
 * Call before the data routes are registered.
 */
export function registerAuth (app: FastifyInstance, { config, logger }: { config: Config, logger: Logger }): Auth {
  const log = logger.child({ component: 'auth' })
  const a = config.dashboard.auth
  const accounts = openAccounts(resolve(config.dataDir, config.store.file))
  const audit = createAuditLog(accounts.db)
  const streams = createStreamLimits(config.dashboard.sse)
  const secret = sessionSecret(config)
  const guard = createLoginGuard({
    windowMs: a.loginWindowS * 1000,
    perAccount: a.loginMaxPerAccount,
    perAddress: a.loginMaxPerAddress,
    // `mimamori user unlock` runs in another process: it leaves its mark in the shared audit log
    unlockedAfter: (username, since) => {
      const yes = audit.doneAfter('user.unlock', username, since)
      if (yes) metrics.unlocked('cli')
      return yes
    }
  })
  const metrics = createAuthMetrics({ lockedAccounts: () => guard.lockedAccounts() })
  let demoBase: string | undefined
  const demoLink = a.demoLogin
    ? createDemoLink({ onMint: token => { if (demoBase !== undefined) log.warn(`demo sign-in link (one use, this machine only): ${demoBase}/api/auth/demo?token=${token}`) } })
    : undefined
  const idleMs = a.sessionIdleMinutes * 60_000
  // every route with its declared access, for the role-matrix tests and docs (HEAD routes mirror GET)
  // read when asked: onRoute hooks registered later (docs.ts) still set the config of the same route object
  const routes: RouteOptions[] = []
  app.addHook('onRoute', route => { routes.push(route) })
  app.decorate('accessTable', {
    getter: (): AccessTable => routes.flatMap(route => [route.method].flat()
      .filter(method => method !== 'HEAD')
      .map(method => ({
        method,
        url: route.url,
        access: route.config?.access,
        stream: route.config?.stream === true,
        responses: Object.keys((route.schema?.response ?? {}) as object),
        hidden: route.schema?.hide === true
      })))
  })

  void app.register(fastifyHelmet, {
    // the pages load only our own scripts (no inline script anywhere); Leaflet sets styles through the DOM
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:', 'blob:', ...tileOrigin(config.dashboard.map.tileUrl)],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        ...(config.dashboard.tls.enabled ? { upgradeInsecureRequests: [] } : {})
      }
    },
    referrerPolicy: { policy: 'same-origin' },
    // HSTS only where this server itself speaks TLS; behind a proxy the proxy sets it
    strictTransportSecurity: config.dashboard.tls.enabled ? { maxAge: 15_552_000 } : false,
    frameguard: { action: 'deny' },
    crossOriginEmbedderPolicy: false
  })
  void app.register(fastifyCookie)
  void app.register(fastifySession, {
    secret,
    cookieName: 'mimamori_sid',
    store: createSqliteSessionStore(accounts.db, { idleMs, absoluteMs: a.sessionMaxHours * 3_600_000 }),
    saveUninitialized: false,
    rolling: true,
    // secure: 'auto' follows request.protocol, which honours X-Forwarded-Proto only under trustProxy
    cookie: { httpOnly: true, sameSite: 'lax', secure: 'auto', path: '/', maxAge: idleMs }
  })
  void app.register(rootPlugin(async (root) => {
    registerAuthHook(root, { accounts, audit, streams, logger })
  }))
  void app.register(authRoutes, {
    accounts,
    audit,
    guard,
    known: createKnownDevices(secret),
    metrics,
    ...(demoLink === undefined ? {} : { demo: { link: demoLink, user: () => demoAccount(accounts), audit } })
  })

  return {
    accounts,
    audit,
    streams,
    metrics,
    demoLink,
    announceDemoLinks (base) { demoBase = base },
    checkBind () {
      const host = config.dashboard.host
      if (a.demoLogin) {
        if (!isLoopbackHost(host) || config.dashboard.trustProxy !== false) {
          throw new MimamoriError('MIMAMORI_ERR_CONFIG', `dashboard.auth.demoLogin signs in every browser on this machine; it is refused with dashboard.host "${host}"${config.dashboard.trustProxy !== false ? ' and trustProxy on' : ''}. Turn demoLogin off to serve the network.`)
        }
        log.warn('!!! DEMO LOGIN ON: the one-time link printed at start signs a browser on this machine in as the demo staff user (dashboard.auth.demoLogin). Never use this configuration for a real deployment. !!!')
      }
      if (!isLoopbackHost(host) && !accounts.hasAdmin()) {
        throw new MimamoriError('MIMAMORI_ERR_NO_ADMIN', `dashboard.host is "${host}" (the network) but no admin account exists. Create one first: mimamori user add <name> --role admin`)
      }
    },
    close () { accounts.close() }
  }
}

/** the demo staff user, created on first use with a random password nobody knows */
function demoAccount (accounts: Accounts): User | undefined {
  const existing = accounts.byName(DEMO_USER)
  if (existing !== undefined) return existing.disabled || existing.role !== 'staff' ? undefined : existing
  return undefined
}

/** creates the demo user (async: hashing); called at start when demo login is on */
export async function ensureDemoUser (accounts: Accounts): Promise<void> {
  if (accounts.byName(DEMO_USER) !== undefined) return
  try {
    await accounts.addUser({ username: DEMO_USER, role: 'staff', password: randomBytes(24).toString('base64url') })
  } catch (err) {
    // another process of the same demo created it a moment ago
    if (accounts.byName(DEMO_USER) === undefined) throw err
  }
}

function tileOrigin (tileUrl: string): string[] {
  if (tileUrl === '') return []
  try {
    const u = new URL(tileUrl.replace(/\{[a-z]\}/g, '0'))
    return [`${u.protocol}//${u.host.replace(/^0\./, '*.')}`]
  } catch {
    return []
  }
}

/** a configured file, or dataDir/dashboard-session.key created once (0600) so cookies survive a restart */
function sessionSecret (config: Config): string {
  const file = config.dashboard.auth.sessionSecretFile !== '' ? config.dashboard.auth.sessionSecretFile : resolve(config.dataDir, 'dashboard-session.key')
  const configured = config.dashboard.auth.sessionSecretFile !== ''
  try {
    if (!configured) {
      try {
        writeFileSync(file, randomBytes(32).toString('base64url') + '\n', { flag: 'wx', mode: 0o600 })
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
    }
    const secret = readFileSync(file, 'utf8').trim()
    if (secret.length < 32) throw new Error('the secret must be at least 32 characters')
    return secret
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_CONFIG', `session secret ${file}: ${(err as Error).message}`, { cause: err })
  }
}
