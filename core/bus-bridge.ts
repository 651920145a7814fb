import type { BusEventName, BusEvents, EventBus } from './bus.js'
import type { Logger } from './logger.js'
import type { MqttClient } from './mqtt.js'

/** Service events travel on their own branch, never on device topics. */
export const SERVICE_EVENTS_PREFIX = 'mmr/v1/svc/events'
const BRIDGED: BusEventName[] = ['reading', 'statusChange', 'cameraImage', 'deviceStatus', 'rejected', 'alert', 'detection', 'sighting']

/**
 * When ingest and dashboard run as separate processes, the bus is carried over
 * MQTT: ingest publishes what it emits, the dashboard re-emits what it hears.
 * QoS 0 on purpose: these are notifications; the data itself is in the store.
 */
export function publishBusEvents (bus: EventBus, client: MqttClient, key: object): void {
  for (const event of BRIDGED) {
    bus.on(event, key, payload => {
      client.publish(`${SERVICE_EVENTS_PREFIX}/${event}`, JSON.stringify(payload), { qos: 0 })
    })
  }
}

export async function subscribeBusEvents (bus: EventBus, client: MqttClient, logger: Logger): Promise<void> {
  client.on('message', (topic, payload) => {
    if (!topic.startsWith(SERVICE_EVENTS_PREFIX + '/')) return
    const event = topic.slice(SERVICE_EVENTS_PREFIX.length + 1) as BusEventName
    if (!BRIDGED.includes(event)) return
    try {
      bus.emit(event, JSON.parse(payload.toString('utf8')) as BusEvents[typeof event])
    } catch (err) {
      logger.warn({ topic, err: (err as Error).message }, 'unreadable service event ignored')
    }
  })
  await client.subscribeAsync(`${SERVICE_EVENTS_PREFIX}/+`, { qos: 0 })
}
