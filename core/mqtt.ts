import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { MimamoriError } from './errors.js'
import type { Logger } from './logger.js'

export type { MqttClient }

export interface ConnectOptions {
  url: string
  clientId: string
  username?: string
  password?: string
  /** false keeps the session (and QoS 1 backlog) on the broker across reconnects */
  clean?: boolean
  logger: Logger
  /** how long the first connection may take before start-up fails */
  connectTimeoutMs?: number
  extra?: Partial<IClientOptions>
}

/**
 * Connects and resolves once the first CONNACK arrives. Later drops are
 * retried by MQTT.js itself; they are logged, never thrown, because a broker
 * restart must not take a service down.
 */
export async function connectMqtt (o: ConnectOptions): Promise<MqttClient> {
  const log = o.logger
  const client = mqtt.connect(o.url, {
    clientId: o.clientId,
    username: o.username === '' ? undefined : o.username,
    password: o.password === '' ? undefined : o.password,
    clean: o.clean ?? true,
    reconnectPeriod: 1000,
    connectTimeout: o.connectTimeoutMs ?? 10_000,
    ...o.extra
  })
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup()
      client.end(true)
      reject(new MimamoriError('MIMAMORI_ERR_MQTT', `no connection to ${o.url} within ${o.connectTimeoutMs ?? 10_000} ms`))
    }, o.connectTimeoutMs ?? 10_000)
    const onConnect = (): void => { cleanup(); resolve() }
    const onError = (err: Error): void => {
      // Auth failures are final; network errors are retried until the timeout.
      if ((err as { code?: number }).code === 5 || (err as { code?: number }).code === 4) {
        cleanup()
        client.end(true)
        reject(new MimamoriError('MIMAMORI_ERR_MQTT', `broker ${o.url} refused ${o.clientId}: ${err.message}`, { cause: err }))
      }
    }
    const cleanup = (): void => {
      clearTimeout(timer)
      client.off('connect', onConnect)
      client.off('error', onError)
    }
    client.on('connect', onConnect)
    client.on('error', onError)
  })
  client.on('error', err => { log.warn({ err: err.message }, 'mqtt client error') })
  client.on('offline', () => { log.warn('mqtt connection lost; reconnecting') })
  client.on('reconnect', () => { log.debug('mqtt reconnecting') })
  return client
}

export async function endMqtt (client: MqttClient | undefined, force = false): Promise<void> {
  if (client === undefined) return
  // a connection the broker already closed never calls end()'s callback (mqtt 5.16) and has
  // nothing left to flush: drop it, so a shutdown cannot hang on it
  if (!client.connected) { client.end(true); return }
  await new Promise<void>(resolve => { client.end(force, {}, () => { resolve() }) })
}
