import { hostname } from 'node:os'
import { resolve } from 'node:path'
import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes'
import type { Config } from '../core/config/schema.js'
import { MimamoriError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { isIngestTopic, type DeviceKind } from '../core/topics.js'
import { deliveryQos, mayPublish, maySubscribe, payloadLimit, type Identity } from './acl.js'
import { createAuthenticator, type AuthChecks, type AuthFailure, type Authenticator } from './auth.js'
import type { UplinkFeed } from './cluster.js'
import { coalesceWrites } from './coalesce.js'
import { dollarDeliverable, keepDollarTopicsFromWildcards } from './dollar.js'
import { boundReads } from './reads.js'
import { createStatusTracker } from './status.js'
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
  /** CONNECT secret checks: full (hash verified), knownGood (cache hit), skippedAddress / skippedDevice (refused unchecked), migrated (old form rewritten) */
  authChecks: Readonly<AuthChecks>
  /** connections the broker closed or refused, by reason (packet_too_large, payload_too_large, not_authorized, will_not_authorized, malformed, max_connections, keepalive_timeout, keepalive_not_allowed, protocol_error …) */
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

export interface BrokerIntake {
  take(msg: { topic: string, payload: Buffer, qos: 0 | 1 | 2 }): Promise<void>
}

/**
 * Aedes behind TCP, WebSocket and (optionally) TLS listeners, with device
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
  const counters: BrokerCounters = {
    connects: 0,
    disconnects: 0,
    clientErrors: 0,
    connectionErrors: 0,
    published: 0,
    deniedPublish: 0,
    deniedSubscribe: 0,
    authFailures: { anonymous_refused: 0, bad_credentials: 0, client_id_mismatch: 0, rate_limited: 0 },
    authChecks: { full: 0, knownGood: 0, skippedAddress: 0, skippedDevice: 0, migrated: 0 },
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
  /** the will of each CONNECT, checked in authenticate once the identity is known */
  const willOf = new WeakMap<Client, { topic: string, payload: Buffer }>()
  const status = createStatusTracker()

  const ensureAuth = (): Authenticator => {
    if (auth === undefined) {
      registry ??= createDeviceRegistry({ file: resolve(config.dataDir, config.store.file), logger })
      auth = createAuthenticator({ config, registry, logger })
      counters.authFailures = auth.failures
      counters.authChecks = auth.checks
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
    const client = aedes.handle(stream, req)
    boundReads(stream, client as unknown as Parameters<typeof boundReads>[1], READ_BATCH_BYTES)
    guardPackets(stream, packetLimits, reason => {
      countClose(reason)
      log.debug({ reason }, 'connection closed by packet guard')
      stream.destroy()
    })
  }

  const packetLimits = {
    maxBytes: b.maxPacketBytes,
    payloadLimit: (topic: string): number => payloadLimit(topic, b.limits).max,
    smallestPayloadLimit: Math.min(b.limits.gaugePayloadBytes, b.limits.statusPayloadBytes, b.limits.imagePayloadBytes, b.limits.otherPayloadBytes)
  }

  let order: PublishOrder | undefined

  /** the same rules as for a PUBLISH: the ACL, then the payload limit of the topic class */
  function publishRefusal (who: Identity | undefined, topic: string, payload: Buffer | string): MimamoriError | undefined {
    if (who === undefined || !mayPublish(who, topic)) {
      return new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `publish to ${topic} not allowed`, { details: { reason: 'not_authorized' } })
    }
    const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length
    // hot path: below every class limit (an 11-byte gauge frame) the topic need not be classified
    if (size <= packetLimits.smallestPayloadLimit) return undefined
    const { cls, max } = payloadLimit(topic, b.limits)
    if (size > max) {
      return new MimamoriError('MIMAMORI_ERR_PAYLOAD_TOO_LARGE', `${cls} payload of ${size} bytes exceeds ${max}`, { details: { reason: 'payload_too_large' } })
    }
    return undefined
  }

  /**
   * A will is published with its client when the connection drops, and with
   * `client === null` when a broker finds the will of a dead (or restarted) broker in
   * the persistence; then the identity comes from the will's client id.
   */
  function authorizeWill (client: Client | null, packet: PublishPacket & { clientId?: string, brokerId?: string }, done: (err?: Error | null) => void): void {
    const clientId = client?.id ?? packet.clientId ?? ''
    const who = client !== null ? auth?.identityOf(client) : auth?.identityFor(clientId)
    // a dead broker's client was last seen by the registry (CONNECT / DISCONNECT), a live one now
    const lastSeen = client !== null ? Date.now() : registry?.get(clientId)?.lastSeen ?? null
    const refused = publishRefusal(who, packet.topic, packet.payload)
    if (refused === undefined) {
      status.completeWill(packet, lastSeen)
    } else {
      counters.deniedPublish++
      countClose('will_not_authorized')
      log.warn({ clientId, topic: packet.topic, reason: refused.details?.reason }, 'last will refused')
      if (client !== null) { done(refused); return }
      // Aedes retries a will until it is published; a refused one is deleted here, then the
      // error reaches aedes' 'error' event (handled in start()).
      const store = (aedes as unknown as { persistence: { delWill(c: { id: string, brokerId?: string }): Promise<unknown> } } | undefined)?.persistence
      const gone = store === undefined ? Promise.resolve() : store.delWill({ id: clientId, ...(packet.brokerId === undefined ? {} : { brokerId: packet.brokerId }) })
      const fail = (): void => { done(new MimamoriError('MIMAMORI_ERR_FORBIDDEN', `will of ${clientId} to ${packet.topic} refused`, { details: { reason: 'will_not_authorized' } })) }
      gone.then(fail, fail)
      return
    }
    if (client !== null) { finishPublish(client, packet, done); return }
    // nobody waits for an ack: into the cluster stream or ingest (a status is an ingest topic), then published
    handOver(packet).then(() => { done(null) }, (err: Error) => { done(err) })
  }

  /** to ingest before the PUBACK: the cluster's Redis stream, or the all-in-one's ingest in-process */
  function handOver (packet: PublishPacket): Promise<void> {
    if (feed !== undefined) return feed.append(packet)
    if (intake === undefined || !isIngestTopic(packet.topic)) return RESOLVED
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload
    return intake.take({ topic: packet.topic, payload, qos: packet.qos })
  }

  function authorizePublish (client: Client | null, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (client === null || packet === (client as unknown as { will?: unknown }).will) { authorizeWill(client, packet, done); return }
    const who = auth?.identityOf(client)
    const refused = publishRefusal(who, packet.topic, packet.payload)
    if (refused !== undefined) {
      if (refused.details?.reason === 'not_authorized') counters.deniedPublish++
      done(refused)
      return
    }
    if (packet.topic.endsWith('/status')) status.note(packet)
    finishPublish(client, packet, done)
  }

  function finishPublish (client: Client, packet: PublishPacket, done: (err?: Error | null) => void): void {
    // no closure per message unless something is handed over first (QoS 0 fan-in profile)
    if (feed === undefined && intake === undefined) { persist(client, packet, done); return }
    handOver(packet).then(() => { persist(client, packet, done) }, (err: Error) => { done(err) })
  }

  /** QoS 1: into the persistence before Aedes writes the PUBACK (broker/ordering.ts) */
  function persist (client: Client, packet: PublishPacket, done: (err?: Error | null) => void): void {
    if (packet.qos !== 1 || order === undefined) { done(null); return }
    order.publishBeforeAck(packet, client, done)
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
    unlockAuth (target) {
      const n = ensureAuth().unlock(target)
      log.info({ target: target ?? '(all)', cleared: n }, 'MQTT authentication limits unlocked')
      return n
    },
    issueCredentials (role, accountId, kind) {
      return ensureAuth().issueInternal(role, accountId, kind)
    },
    async * retained (filters) {
      const store = (aedes as unknown as { persistence: { createRetainedStreamCombi(p: string[]): AsyncIterable<PublishPacket> } } | undefined)?.persistence
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
        // ioredis and mqemitter-redis are loaded only in cluster mode
        const cluster = clusterMode ? await import('./cluster.js') : undefined
        if (cluster !== undefined) feed = cluster.createUplinkFeed({ config, logger, brokerId: id })
        aedes = await Aedes.createBroker({
          id,
          persistence: persistence.persistence,
          ...(cluster !== undefined ? { mq: cluster.createClusterEmitter(b.cluster.redisUrl, log) } : {}),
          heartbeatInterval: b.heartbeatMs,
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
            if (packet.will != null) willOf.set(client, { topic: packet.will.topic, payload: Buffer.from(packet.will.payload) })
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
              const will = willOf.get(client)
              willOf.delete(client)
              // a will is a publish made later on the client's behalf: refused now, at CONNECT, when not allowed
              if (r.ok && will !== undefined && publishRefusal(r.identity, will.topic, will.payload) !== undefined) {
                countClose('will_not_authorized')
                authenticator.forget(client)
                log.debug({ clientId: client.id, topic: will.topic }, 'CONNECT refused: will not allowed for this identity')
                const err = new Error('will not authorized') as AuthenticateError
                err.returnCode = 5
                done(err, false)
                return
              }
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
            const subs = (client as unknown as { subscriptions: Record<string, { qos?: number }> }).subscriptions
            if (!dollarDeliverable(subs, packet.topic)) return null
            if (packet.qos === 0 || grantedAtLeast(subs, packet.qos)) return packet
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
      keepDollarTopicsFromWildcards(a)
      if (allowAnonymous) {
        log.warn('*** anonymous MQTT access is ON (demo mode): any client on this network may connect, publish and subscribe. Turn broker.allowAnonymous off and provision devices (`mimamori device add`) before exposing this port. ***')
      }
      a.on('client', (client: Client) => { counters.connects++; log.debug({ clientId: client.id }, 'client connected') })
      a.on('clientDisconnect', (client: Client) => {
        counters.disconnects++
        const who = auth?.identityOf(client)
        if (who?.role === 'device') registry?.touch(who.id, Date.now())
        auth?.forget(client)
        log.debug({ clientId: client.id }, 'client disconnected')
      })
      a.on('keepaliveTimeout', (client: Client) => { countClose('keepalive_timeout'); log.debug({ clientId: client.id }, 'keep-alive timeout') })
      a.on('clientError', (client: Client, err: Error) => {
        counters.clientErrors++
        const reason = closeReason(err)
        if (reason !== undefined) countClose(reason)
        log.debug({ clientId: client.id, reason, err: err.message }, 'client error; connection closed')
      })
      a.on('connectionError', (_client: Client, err: Error) => {
        counters.connectionErrors++
        const reason = closeReason(err)
        if (reason !== undefined) countClose(reason)
        log.debug({ reason, err: err.message }, 'connection error before CONNECT')
      })
      // Aedes reports a failed round of dead-broker wills here; a refused will was already
      // deleted and logged (authorizeWill). Anything else stays fatal, as without a listener.
      const events = a as unknown as NodeJS.EventEmitter
      events.on('error', (err: Error) => {
        if (err instanceof MimamoriError && err.details?.reason === 'will_not_authorized') return
        throw err
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

const RESOLVED = Promise.resolve()

/**
 * Bytes Aedes takes from one connection per batch while more is buffered
 * (broker/reads.ts): about 25 QoS 1 gauge frames. 4096 / 1024 / 512 in a 100 → 1
 * QoS 0 flood: broker heap peak 177 / 108 / 54 MB (360 MB unbounded).
 */
const READ_BATCH_BYTES = 1024

/**
 * The counted reason a client was closed; undefined for a refused CONNECT whose
 * reason authenticate already counted (authFailures, identifier_rejected, will_not_authorized).
 */
function closeReason (err: Error): string | undefined {
  if (err instanceof MimamoriError) return String(err.details?.reason ?? err.code)
  const connack = (err as { errorCode?: unknown }).errorCode
  if (typeof connack === 'number') return connack === 6 ? 'keepalive_not_allowed' : connack === 1 ? 'unacceptable_protocol' : undefined
  const code = (err as NodeJS.ErrnoException).code
  // ws refuses a frame above maxPayload (= broker.maxPacketBytes) before the packet guard sees it
  if (code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'packet_too_large'
  return code !== undefined ? 'transport_error' : 'protocol_error'
}

/** hot path: no downgrade is possible when every subscription of the client was granted at least this QoS */
function grantedAtLeast (subs: Record<string, { qos?: number }>, qos: number): boolean {
  for (const filter in subs) if ((subs[filter]?.qos ?? 0) < qos) return false
  return true
}
