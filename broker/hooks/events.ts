import type { Aedes, Client } from 'aedes'
import { MimamoriError } from '../../core/errors.js'
import { closeReason, type BrokerContext } from '../context.js'

/** counters and logs from Aedes' client events; last seen on disconnect (written in batches by the registry) */
export function wireEvents (ctx: BrokerContext, a: Aedes): void {
  const { counters, log } = ctx
  a.on('client', (client: Client) => { counters.connects++; log.debug({ clientId: client.id }, 'client connected') })
  a.on('clientDisconnect', (client: Client) => {
    counters.disconnects++
    const who = ctx.auth?.identityOf(client)
    if (who?.role === 'device') ctx.registry?.touch(who.id, Date.now())
    ctx.auth?.forget(client)
    log.debug({ clientId: client.id }, 'client disconnected')
  })
  a.on('keepaliveTimeout', (client: Client) => { ctx.countClose('keepalive_timeout'); log.debug({ clientId: client.id }, 'keep-alive timeout') })
  a.on('clientError', (client: Client, err: Error) => {
    counters.clientErrors++
    const reason = closeReason(err)
    if (reason !== undefined) ctx.countClose(reason)
    log.debug({ clientId: client.id, reason, err: err.message }, 'client error; connection closed')
  })
  a.on('connectionError', (_client: Client, err: Error) => {
    counters.connectionErrors++
    const reason = closeReason(err)
    if (reason !== undefined) ctx.countClose(reason)
    log.debug({ reason, err: err.message }, 'connection error before CONNECT')
  })
  // Aedes reports a failed round of dead-broker wills here; a refused will was already
  // deleted and logged (broker/hooks/publish.ts). Anything else stays fatal, as without a listener.
  const events = a as unknown as NodeJS.EventEmitter
  events.on('error', (err: Error) => {
    if (err instanceof MimamoriError && err.details?.reason === 'will_not_authorized') return
    throw err
  })
}

/**
 * Aedes' `published` hook, called once per publish right before its 'publish' event: counting
 * here instead of in a 'publish' listener keeps that event without listeners on the hot path.
 */
export function countPublished (ctx: BrokerContext): (packet: unknown, client: Client | null, done: (err?: Error | null) => void) => void {
  const counters = ctx.counters
  return function published (_packet, client, done) {
    if (client !== null) counters.published++
    done(null)
  }
}
