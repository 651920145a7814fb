import { Aedes, type Client } from 'aedes'
import type { Config } from '../core/config/schema.js'
import type { Logger } from '../core/logger.js'
import { listenTcp, listenWebSocket, type Listener } from './listeners.js'

export interface BrokerCounters {
  connects: number
  disconnects: number
  clientErrors: number
  connectionErrors: number
  published: number
}

export interface Broker {
  start(): Promise<{ port: number, wsPort: number }>
  close(): Promise<void>
  readonly url: string
  readonly counters: Readonly<BrokerCounters>
  readonly connectedClients: number
}

export interface BrokerDeps {
  config: Pick<Config, 'broker'>
  logger: Logger
}

/**
 * Aedes behind a TCP and a WebSocket listener. Device identity and ACLs are
 * the broker issue's work; the hooks are already where they will live so the
 * rest of the platform does not change when they arrive.
 */
export function createBroker ({ config, logger }: BrokerDeps): Broker {
  const log = logger.child({ component: 'broker' })
  const counters: BrokerCounters = { connects: 0, disconnects: 0, clientErrors: 0, connectionErrors: 0, published: 0 }
  let aedes: Aedes | undefined
  let listeners: Listener[] = []
  let url = ''
  let closing: Promise<void> | undefined

  return {
    get url () { return url },
    get counters () { return counters },
    get connectedClients () { return aedes?.connectedClients ?? 0 },

    async start () {
      const { host, port, wsPort, allowAnonymous, maxPacketBytes } = config.broker
      aedes = await Aedes.createBroker({
        id: 'mimamori',
        authenticate: (_client, _username, _password, done) => {
          done(null, allowAnonymous)
        }
      })
      if (allowAnonymous) log.warn('anonymous MQTT access is ON (demo mode): any client may publish; do not expose this port')
      aedes.on('client', (client: Client) => { counters.connects++; log.debug({ clientId: client.id }, 'client connected') })
      aedes.on('clientDisconnect', (client: Client) => { counters.disconnects++; log.debug({ clientId: client.id }, 'client disconnected') })
      aedes.on('clientError', (client: Client, err: Error) => {
        counters.clientErrors++
        log.debug({ clientId: client.id, err: err.message }, 'client error; connection closed')
      })
      aedes.on('connectionError', (_client: Client, err: Error) => {
        counters.connectionErrors++
        log.debug({ err: err.message }, 'connection error before CONNECT')
      })
      aedes.on('publish', (_packet, client) => { if (client !== null) counters.published++ })

      try {
        listeners.push(await listenTcp(aedes, host, port))
        listeners.push(await listenWebSocket(aedes, host, wsPort, maxPacketBytes))
      } catch (err) {
        await this.close()
        throw err
      }
      const tcp = listeners[0]!.port
      const ws = listeners[1]!.port
      url = `mqtt://${host === '0.0.0.0' ? '127.0.0.1' : host}:${tcp}`
      log.info({ port: tcp, wsPort: ws }, 'MQTT broker listening')
      return { port: tcp, wsPort: ws }
    },

    async close () {
      closing ??= (async () => {
        await Promise.all(listeners.map(async l => await l.close()))
        listeners = []
        if (aedes !== undefined) await new Promise<void>(resolve => { aedes!.close(() => { resolve() }) })
        log.info('MQTT broker closed')
      })()
      return await closing
    }
  }
}
