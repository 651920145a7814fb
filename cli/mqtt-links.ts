import type { AccountRole } from '../broker/registry.js'
import type { MqttClient } from '../core/mqtt.js'
import { componentOf, need, type Component } from './compose.js'
import type { ProcessParts, Publish } from './process-parts.js'

type Part = Component<ProcessParts>

/**
 * A QoS 1 publisher on this process's broker under an identity the broker issues, connected on
 * first use so a process that never sends holds no extra session; a failed connect is tried again
 * on the next send.
 */
function lazyPublisher (name: string, { role, clientId, logAs, slot }: { role: AccountRole, clientId: string, logAs: string, slot: 'sendDownlink' | 'forwardUplink' }): Part {
  let client: Promise<MqttClient> | undefined
  return {
    name,
    async start (c) {
      const broker = need(c.broker, 'the broker', name)
      const { connectMqtt } = await import('../core/mqtt.js')
      const publish: Publish = async (topic, payload) => {
        client ??= connectMqtt({ url: broker.url, clientId, ...broker.issueCredentials(role, clientId), logger: c.logger.child({ component: logAs }) })
          .catch((err: unknown) => { client = undefined; throw err })
        await (await client).publishAsync(topic, payload, { qos: 1 })
      }
      c[slot] = publish
    },
    async close () {
      if (client === undefined) return
      const { endMqtt } = await import('../core/mqtt.js')
      await endMqtt(await client)
    }
  }
}

/** operator downlinks leave through a dashboard-role connection (ACL: may write …/down only) */
export function downlinksComponent (): Part {
  return lazyPublisher('downlinks', { role: 'dashboard', clientId: 'dashboard-downlink', logAs: 'downlink', slot: 'sendDownlink' })
}

/**
 * Webhook uplinks (dashboard/server/routes/lorawan.ts) enter as a network-server account, QoS 1:
 * the PUBACK comes once ingest settled them, so a 202 means taken (stored, duplicate or refused).
 */
export function webhookUplinksComponent (): Part {
  return lazyPublisher('webhook uplinks', { role: 'chirpstack', clientId: 'lorawan-webhook', logAs: 'lorawan-webhook', slot: 'forwardUplink' })
}

/** an MQTT link for bus events, closed as a component (core/bus-bridge.ts carries the events) */
async function eventsLink (c: ProcessParts, o: { url: string, clientId: string, username: string, password: string }): Promise<{ client: MqttClient, close: () => Promise<void> }> {
  const { connectMqtt, endMqtt } = await import('../core/mqtt.js')
  const client = c.events = await connectMqtt({ ...o, logger: c.logger })
  return { client, close: async () => { await endMqtt(client) } }
}

/** a separate ingest's bus events, published for dashboards elsewhere */
export function busEventsOutComponent ({ url, clientId }: { url: string, clientId: string }): Part {
  return componentOf('bus events', async (c: ProcessParts) => {
    const { publishBusEvents } = await import('../core/bus-bridge.js')
    const link = await eventsLink(c, { url, clientId, username: c.config.ingest.username, password: c.config.ingest.password })
    publishBusEvents(c.bus, link.client, {})
    return link
  })
}

/**
 * A separate dashboard follows ingest's bus events over MQTT; the same dashboard-role connection
 * carries operator downlinks (ACL: may write …/down).
 */
export function busEventsInComponent ({ url, clientId }: { url: string, clientId: string }): Part {
  return componentOf('bus events', async (c: ProcessParts) => {
    const link = await eventsLink(c, { url, clientId, username: c.config.dashboard.mqttUsername, password: c.config.dashboard.mqttPassword })
    c.sendDownlink = async (topic, payload) => { await link.client.publishAsync(topic, payload, { qos: 1 }) }
    return link
  }, async (link, c) => {
    const { subscribeBusEvents } = await import('../core/bus-bridge.js')
    await subscribeBusEvents(c.bus, link.client, c.logger)
  })
}
