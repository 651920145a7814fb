import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { DeviceKind } from '../core/topics.js'
import { deliveryQos, mayPublish, maySubscribe, payloadLimit } from './acl.js'
import { createAuthenticator, type AuthFailure, type Authenticator } from './auth.js'
import type { UplinkFeed } from './cluster.js'
import { coalesceWrites } from './coalesce.js'
import { guardPackets } from './limits.js'
import { listenTcp, listenTls, listenWebSocket, type Listener } from './listeners.js'
import { openPersistence, type PersistenceChoice } from './persistence.js'
import { preservePublishOrder, type PublishOrder } from './ordering.js'
import { createDeviceRegistry, type AccountRole, type DeviceRegistry } from './registry.js'

export interface BrokerCounters {
  connects: number
  disconnects: number
  clientErrors: number
  connectionErrors: number
  published: number
  deniedPublish: number
  deniedSubscribe: number
  authFailures: Readonly<Record<AuthFailure, number>>
  /** connections the broker closed, by reason (packet_too_large, payload_too_large, not_authorized, malformed, max_connections, keepalive_timeout, protocol_error …) */
  closed: Record<string, number>
}

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
}

export interface BrokerDeps {
  config: Pick<Config, 'broker' | 'dataDir' | 'store'>
  logger: Logger
  /** shared registry; by default the broker opens the embedded database itself */
  registry?: DeviceRegistry
}

/**
 * Aedes behind TCP, WebSocket and (optionally) TLS listeners, with device
 * identity (broker/auth.ts), topic ACLs (broker/acl.ts), transport and
 * payload limits (broker/limits.ts), a persistent backend
 * (broker/persistence.ts) and, with broker.cluster.redisUrl, Redis fan-out
 * between brokers plus the uplink stream for ingest workers (broker/cluster.ts).
 */
export function createBroker ({ config, logger, registry: sharedRegistry }: BrokerDeps): Broker {
  const b = config.broker
  const id = b.id !== '' ? b.id : `mimamori-${hostname()}-${process.pid}`
  const log = logger.child({ component: 'broker', brokerId: id })
  const clusterMode = b.cluster.redisUrl !== ''
  const counters: BrokerCounters = {
    connects: 0,
    disconnects: 0,
    clientErrors: 0,
    connectionErrors: 0,
    published: 0,
    deniedPublish: 0,
    deniedSubscribe: 0,
    authFailures: { anonymous_refused: 0, bad_credentials: 0, client_id_mismatch: 0, rate_limited: 0 },
    closed: {}
  }
  const countClose = (reason: string): void => { counters.closed[reason] = (counters.closed[reason] ?? 0) + 1 }

  let aedes: Aedes | undefined
  let listeners: Listener[] = []
  let url = ''
  let closing: Promise<void> | undefined
  let persistence: PersistenceChoice | undefined
  let feed: UplinkFeed | undefined
  let registry: DeviceRegistry | undefined = sharedRegistry
  let auth: Authenticator | undefined
  let openConnections = 0
  let pending: Array<[Duplex, IncomingMessage | undefined]> | undefined = []
  const zeroIdPersistent = new WeakSet<Client>()

  const ensureAuth = (): Authenticator => {
    if (auth === undefined) {
      registry ??= createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger })
      auth = createAuthenticator({ config, registry, logger })
      counters.authFailures = auth.failures
    }
    return auth
  }

  /** every transport enters here: connection cap, fixed-header guard, then aedes */
  function handle (stream: Duplex, req?: IncomingMessage): void {
    if (openConnections >= b.limits.maxConnections) {
      countClose('max_connections')
      stream.destroy()
      return
    }
    if (aedes === undefined) {
      if (pending !== undefined) pending.push([stream, req])
      else stream.destroy()
      return
    }
    openConnections++
    stream.once('close', () => { openConnections-- })
    coalesceWrites(stream)
    aedes.handle(stream, req)
    guardPackets(stream, b.maxPacketBytes, reason => {
      countClose(reason)
      log.debug({ reason }, 'connection closed by packet guard')
      stream.destroy()
    })
  }

  let order: PublishOrder | undefined

  function authorizePublish (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (client === null) { done(null); return }
    const who = auth?.identityOf(client)
    if (who === undefined || !mayPublish(who, packet.topic)) {
      counters.deniedPublish++
      done(new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `publish to ${packet.topic} not allowed`, { details: { reason: 'not_authorized' } }))
      return
    }
    const size = typeof packet.payload === 'string' ? Buffer.byteLength(packet.payload) : packet.payload.length
    const { cls, max } = payloadLimit(packet.topic, b.limits)
    if (size > max) {
      done(new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `${cls} payload of ${size} bytes exceeds ${max}`, { details: { reason: 'payload_too_large' } }))
      return
    }
    const persisted = (): void => {
      // QoS 1: into the persistence before Aedes writes the PUBACK (broker/ordering.ts)
      if (packet.qos !== 1 || order === undefined) { done(null); return }
      order.publishBeforeAck(packet, client, done)
    }
    if (feed === undefined) { persisted(); return }
    feed.append(packet).then(persisted, (err: Error) => { done(err) })
  }

  function authorizeSubscribe (client: Client, sub: Subscription, done: (err: Error | null, sub?: Subscription | null) => void): void {
    const who = auth?.identityOf(client)
    if (who !== undefined && maySubscribe(who, sub.topic)) { done(null, sub); return }
    counters.deniedSubscribe++
    log.debug({ clientId: client.id, topic: sub.topic }, 'subscription refused')
    done(null, null)
  }

  const broker: Broker = {
    id,
    get url () { return url },
    get counters () { return counters },
    get connectedClients () { return aedes?.connectedClients ?? 0 },
    issueCredentials (role, accountId, kind) {
      return ensureAuth().issueInternal(role, accountId, kind)
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
        // ioredis and mqemitter-redis are loaded only in cluster mode
        const cluster = clusterMode ? await import('./cluster.js') : undefined
        if (cluster !== undefined) feed = cluster.createUplinkFeed({ config, logger, brokerId: id })
        aedes = await Aedes.createBroker({
          id,
          persistence: persistence.persistence,
          ...(cluster !== undefined ? { mq: cluster.createClusterEmitter(b.cluster.redisUrl) } : {}),
          connectTimeout: b.limits.connectTimeoutMs,
          ...(b.limits.keepaliveMaxS > 0 ? { keepaliveLimit: b.limits.keepaliveMaxS } : {}),
          maxInflightInbound: b.limits.maxInflightInbound,
          // aedes' default (100) parks every further publish in mqemitter's array queue once one
          // subscriber socket is full; its shift() then dominated the CPU profile of a fan-in.
          // Unbounded (0) still back-pressures publishers: a publish completes after its writes.
          concurrency: b.limits.deliveryConcurrency,
          // [MQTT-3.1.3-8]: a zero-byte client id with CleanSession 0 is answered with CONNACK 2
          // (aedes would invent an id); marked here, refused in authenticate, which can send a return code.
          preConnect: (client, packet, done) => {
            if (packet.clientId === '' && packet.clean === false) zeroIdPersistent.add(client)
            done(null, true)
          },
          authenticate: (client, username, password, done) => {
            if (zeroIdPersistent.has(client)) {
              countClose('identifier_rejected')
              const err = new Error('identifier rejected') as AuthenticateError
              err.returnCode = 2
              done(err, false)
              return
            }
            authenticator.authenticate(client, username, password).then(r => {
              if (r.ok) { done(null, true); return }
              const err = new Error('connection refused') as AuthenticateError
              err.returnCode = r.returnCode
              done(err, false)
            }, (err: unknown) => {
              log.error({ err: (err as Error).message }, 'authentication error')
              const e = new Error('server unavailable') as AuthenticateError
              e.returnCode = 3
              done(e, false)
            })
          },
          authorizePublish,
          authorizeSubscribe,
          authorizeForward: (client, packet) => {
            if (packet.qos === 0) return packet
            const subs = (client as unknown as { subscriptions: Record<string, { qos?: number }> }).subscriptions
            if (grantedAtLeast(subs, packet.qos)) return packet
            const qos = deliveryQos(subs, packet.topic, packet.qos)
            return qos === packet.qos ? packet : Object.assign(Object.create(Object.getPrototypeOf(packet) as object) as object, packet, { qos }) as typeof packet
          }
        })
      } catch (err) {
        await broker.close()
        throw err
      }
      const a = aedes
      order = preservePublishOrder(a)
      if (allowAnonymous) {
        log.warn('*** anonymous MQTT access is ON (demo mode): any client on this network may connect, publish and subscribe. Turn broker.allowAnonymous off and provision devices (`mimamori device add`) before exposing this port. ***')
      }
      a.on('client', (client: Client) => { counters.connects++; log.debug({ clientId: client.id }, 'client connected') })
      a.on('clientDisconnect', (client: Client) => {
        counters.disconnects++
        const who = auth?.identityOf(client)
        if (who?.role === 'device' && registry?.get(who.id) !== undefined) registry.touch(who.id, Date.now())
        auth?.forget(client)
        log.debug({ clientId: client.id }, 'client disconnected')
      })
      a.on('keepaliveTimeout', (client: Client) => { countClose('keepalive_timeout'); log.debug({ clientId: client.id }, 'keep-alive timeout') })
      a.on('clientError', (client: Client, err: Error) => {
        counters.clientErrors++
        const reason = err instanceof MimamoriError
          ? String(err.details?.reason ?? err.code)
          : (err as NodeJS.ErrnoException).code !== undefined ? 'transport_error' : 'protocol_error'
        countClose(reason)
        log.debug({ clientId: client.id, reason, err: err.message }, 'client error; connection closed')
      })
      a.on('connectionError', (_client: Client, err: Error) => {
        counters.connectionErrors++
        log.debug({ err: err.message }, 'connection error before CONNECT')
      })
      a.on('publish', (_packet, client) => { if (client !== null) counters.published++ })
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
        await order?.drain()
        if (aedes !== undefined) await new Promise<void>(resolve => { aedes!.close(() => { resolve() }) })
        await persistence?.close().catch((err: unknown) => { log.warn({ err: (err as Error).message }, 'persistence close failed') })
        await feed?.close()
        if (sharedRegistry === undefined) registry?.close()
        log.info('MQTT broker closed')
      })()
      return await closing
    }
  }
  return broker
}

/** hot path: no downgrade is possible when every subscription of the client was granted at least this QoS */
function grantedAtLeast (subs: Record<string, { qos?: number }>, qos: number): boolean {
  for (const filter in subs) if ((subs[filter]?.qos ?? 0) < qos) return false
  return true
}
