import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Aedes, type PublishPacket } from 'aedes'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import type { DeviceKind } from '../core/topics.js'
import { createAuthenticator, type Authenticator } from './auth.js'
import { coalesceWrites } from './coalesce.js'
import { createContext, type BrokerContext, type BrokerCounters, type BrokerIntake } from './context.js'
import { keepDollarTopicsFromWildcards } from './dollar.js'
import { createConnectHooks } from './hooks/connect.js'
import { countPublished, wireEvents } from './hooks/events.js'
import { createAuthorizePublish } from './hooks/publish.js'
import { authorizeForward, createAuthorizeSubscribe } from './hooks/subscribe.js'
import { boundReads } from './reads.js'
import { guardPackets } from './limits.js'
import { listenTcp, listenTls, listenWebSocket, type Listener } from './listeners.js'
import { openPersistence, type PersistenceChoice } from './persistence.js'
import { preservePublishOrder } from './ordering.js'
import { createDeviceRegistry, type AccountRole, type DeviceRegistry } from './registry.js'

export type { BrokerCounters, BrokerIntake } from './context.js'

export interface BrokerPorts { port: number, wsPort: number, tlsPort: number | null }

export interface Broker {
  start(): Promise<BrokerPorts>
  close(): Promise<void>
  readonly id: string
  readonly url: string
  readonly counters: Readonly<BrokerCounters>
  readonly connectedClients: number
  /** in-process credentials for the all-in-one's own services and demo devices (never stored) */
  issueCredentials(role: AccountRole, id: string, kind?: DeviceKind): { username: string, password: string }
  /** retained messages matching the filters, as a new subscriber would get them (the in-process ingest reads device statuses at start) */
  retained(filters: string[]): AsyncIterable<PublishPacket>
  /** admin: lifts the CONNECT brute-force limits of an address or account id (all when omitted); entries cleared */
  unlockAuth(target?: string): number
}

export interface BrokerDeps {
  config: Pick<Config, 'broker' | 'dataDir' | 'store'>
  logger: Logger
  /** shared registry; by default the broker opens the embedded database itself */
  registry?: DeviceRegistry
  /**
   * The all-in-one's ingest (ingest/index.ts `take`): every publish on an ingest topic is handed
   * over from authorizePublish and its PUBACK waits until ingest has settled it durably; a
   * rejection closes the client without a PUBACK, so the device sends it again.
   */
  intake?: BrokerIntake
}

/**
 * Aedes behind TCP, WebSocket and (optionally) TLS listeners, its hooks one file per
 * packet type (broker/hooks/: connect, publish, subscribe, events), with device
 * identity (broker/auth.ts), topic ACLs (broker/acl.ts), transport and
 * payload limits (broker/limits.ts), a persistent backend
 * (broker/persistence.ts) and, with broker.cluster.redisUrl, Redis fan-out
 * between brokers plus the uplink stream for ingest workers (broker/cluster.ts).
 */
export function createBroker ({ config, logger, registry: sharedRegistry, intake }: BrokerDeps): Broker {
  const b = config.broker
  const id = b.id !== '' ? b.id : `mimamori-${hostname()}-${process.pid}`
  const log = logger.child({ component: 'broker', brokerId: id })
  const clusterMode = b.cluster.redisUrl !== ''
  const ctx = createContext({ b, log, intake, registry: sharedRegistry })
  const counters = ctx.counters

  let listeners: Listener[] = []
  let url = ''
  let closing: Promise<void> | undefined
  let persistence: PersistenceChoice | undefined
  let openConnections = 0
  let pending: Array<[Duplex, IncomingMessage | undefined]> | undefined = []

  const ensureAuth = (): Authenticator => {
    if (ctx.auth === undefined) {
      ctx.registry ??= createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger })
      ctx.auth = createAuthenticator({ config, registry: ctx.registry, logger })
      counters.authFailures = ctx.auth.failures
      counters.authChecks = ctx.auth.checks
    }
    return ctx.auth
  }

  /** every transport enters here: connection cap, fixed-header guard, then aedes */
  function handle (stream: Duplex, req?: IncomingMessage): void {
    if (openConnections >= b.limits.maxConnections) {
      ctx.countClose('max_connections')
      stream.destroy()
      return
    }
    if (ctx.aedes === undefined) {
      if (pending !== undefined) pending.push([stream, req])
      else stream.destroy()
      return
    }
    openConnections++
    stream.once('close', () => { openConnections-- })
    coalesceWrites(stream)
    const client = ctx.aedes.handle(stream, req)
    boundReads(stream, client as unknown as Parameters<typeof boundReads>[1], READ_BATCH_BYTES)
    guardPackets(stream, ctx.packetLimits, reason => {
      ctx.countClose(reason)
      log.debug({ reason }, 'connection closed by packet guard')
      stream.destroy()
    })
  }

  const broker: Broker = {
    id,
    get url () { return url },
    get counters () { return counters },
    get connectedClients () { return ctx.aedes?.connectedClients ?? 0 },
    unlockAuth (target) {
      const n = ensureAuth().unlock(target)
      log.info({ target: target ?? '(all)', cleared: n }, 'MQTT authentication limits unlocked')
      return n
    },
    issueCredentials (role, accountId, kind) {
      return ensureAuth().issueInternal(role, accountId, kind)
    },
    async * retained (filters) {
      const store = (ctx.aedes as unknown as { persistence: { createRetainedStreamCombi(p: string[]): AsyncIterable<PublishPacket> } } | undefined)?.persistence
      if (store === undefined) return
      yield * store.createRetainedStreamCombi(filters)
    },

    async start () {
      const { host, port, wsPort, allowAnonymous, maxPacketBytes } = b
      try {
        // Bind first: a taken port is reported as such, before any file is locked.
        listeners.push(await listenTcp(handle, host, port))
        listeners.push(await listenWebSocket(handle, host, wsPort, maxPacketBytes))
        if (b.tls.enabled) listeners.push(await listenTls(handle, host, b.tls.port, b.tls))
        const authenticator = ensureAuth()
        persistence = await openPersistence(config, logger)
        if (persistence.retainedWrites !== undefined) counters.retainedWrites = persistence.retainedWrites
        if (persistence.willWrites !== undefined) counters.willWrites = persistence.willWrites
        ctx.aedes = await createAedes({ ctx, config, logger, id, persistence, authenticator })
      } catch (err) {
        await broker.close()
        throw err
      }
      const a = ctx.aedes
      ctx.order = preservePublishOrder(a)
      keepDollarTopicsFromWildcards(a)
      if (allowAnonymous) {
        log.warn('*** anonymous MQTT access is ON (demo mode): any client on this network may connect, publish and subscribe. Turn broker.allowAnonymous off and provision devices (`mimamori device add`) before exposing this port. ***')
      }
      wireEvents(ctx, a)
      const queued = pending ?? []
      pending = undefined
      for (const [stream, req] of queued) handle(stream, req)

      const tcp = listeners[0]!.port
      const ws = listeners[1]!.port
      const tlsPort = listeners[2]?.port ?? null
      url = `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${tcp}`
      log.info({ port: tcp, wsPort: ws, tlsPort, persistence: persistence.describe, cluster: clusterMode, anonymous: allowAnonymous }, 'MQTT broker listening')
      return { port: tcp, wsPort: ws, tlsPort }
    },

    async close () {
      closing ??= (async () => {
        pending = undefined
        await Promise.all(listeners.map(async l => { await l.close() }))
        listeners = []
        await ctx.order?.drain()
        if (ctx.aedes !== undefined) await new Promise<void>(resolve => { ctx.aedes!.close(() => { resolve() }) })
        await persistence?.close().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'persistence close failed') })
        await ctx.feed?.close()
        if (sharedRegistry === undefined) ctx.registry?.close()
        log.info('MQTT broker closed')
      })()
      return await closing
    }
  }
  return broker
}

/** Aedes with the hooks of broker/hooks/ and, in cluster mode, Redis fan-out and the uplink feed */
async function createAedes ({ ctx, config, logger, id, persistence, authenticator }: {
  ctx: BrokerContext, config: BrokerDeps['config'], logger: Logger, id: string, persistence: PersistenceChoice, authenticator: Authenticator
}): Promise<Aedes> {
  const b = ctx.b
  // ioredis and mqemitter-redis are loaded only in cluster mode
  const cluster = b.cluster.redisUrl !== '' ? await import('./cluster.js') : undefined
  if (cluster !== undefined) ctx.feed = cluster.createUplinkFeed({ config, logger, brokerId: id })
  return await Aedes.createBroker({
    id,
    persistence: persistence.persistence,
    ...(cluster !== undefined ? { mq: cluster.createClusterEmitter(b.cluster.redisUrl, ctx.log) } : {}),
    heartbeatInterval: b.heartbeatMs,
    connectTimeout: b.limits.connectTimeoutMs,
    ...(b.limits.keepaliveMaxS > 0 ? { keepaliveLimit: b.limits.keepaliveMaxS } : {}),
    maxInflightInbound: b.limits.maxInflightInbound,
    // aedes' default (100) parks every further publish in mqemitter's array queue once one
    // subscriber socket is full; its shift() then dominated the CPU profile of a fan-in.
    // Unbounded (0) still back-pressures publishers: a publish completes after its writes.
    concurrency: b.limits.deliveryConcurrency,
    ...createConnectHooks(ctx, authenticator),
    authorizePublish: createAuthorizePublish(ctx),
    authorizeSubscribe: createAuthorizeSubscribe(ctx),
    authorizeForward,
    published: countPublished(ctx)
  })
}

/**
 * Bytes Aedes takes from one connection per batch while more is buffered
 * (broker/reads.ts): about 25 QoS 1 gauge frames. 4096 / 1024 / 512 in a 100 → 1
 * QoS 0 flood: broker heap peak 177 / 108 / 54 MB (360 MB unbounded). CPU per message in
 * interleaved A/Bs (bench/README.md § bench/broker, "Runs", load 5–10): 4096 and 2048 cost
 * more at QoS 0 (24 vs 20 µs); 512 cost a little less at QoS 0 (about −6 %, within the noise)
 * but more at QoS 1 (32.2 vs 29.1 µs: a publisher's window of 20 QoS 1 packets no longer fits
 * one batch), so 1024 stays.
 */
const READ_BATCH_BYTES = 1024
