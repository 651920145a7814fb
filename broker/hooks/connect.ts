import type { AuthenticateError, Client, ConnectPacket } from 'aedes'
import type { Authenticator } from '../auth.js'
import type { BrokerContext } from '../context.js'
import { publishRefusal } from './publish.js'

type PreConnect = (client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void) => void
type Authenticate = (client: Client, username: Readonly<string | undefined>, password: Readonly<Buffer | undefined>, done: (err: AuthenticateError | null, success: boolean | null) => void) => void

const refusal = (message: string, returnCode: number): AuthenticateError => {
  const err = new Error(message) as AuthenticateError
  err.returnCode = returnCode
  return err
}

/**
 * Aedes' preConnect and authenticate for CONNECT: identity (broker/auth.ts), the
 * zero-byte client id rule and the will's ACL, answered with a CONNACK return code.
 */
export function createConnectHooks (ctx: BrokerContext, authenticator: Authenticator): { preConnect: PreConnect, authenticate: Authenticate } {
  const zeroIdPersistent = new WeakSet<Client>()
  /** the will of each CONNECT, checked in authenticate once the identity is known */
  const willOf = new WeakMap<Client, { topic: string, payload: Buffer }>()

  return {
    // [MQTT-3.1.3-8]: a zero-byte client id with CleanSession 0 is answered with CONNACK 2
    // (aedes would invent an id); marked here, refused in authenticate, which can send a return code.
    preConnect (client, packet, done) {
      if (packet.clientId === '' && packet.clean === false) zeroIdPersistent.add(client)
      if (packet.will != null) willOf.set(client, { topic: packet.will.topic, payload: Buffer.from(packet.will.payload) })
      done(null, true)
    },
    authenticate (client, username, password, done) {
      if (zeroIdPersistent.has(client)) {
        ctx.countClose('identifier_rejected')
        done(refusal('identifier rejected', 2), false)
        return
      }
      authenticator.authenticate(client, username, password).then(r => {
        const will = willOf.get(client)
        willOf.delete(client)
        // a will is a publish made later on the client's behalf: refused now, at CONNECT, when not allowed
        if (r.ok && will !== undefined && publishRefusal(ctx, r.identity, will.topic, will.payload) !== undefined) {
          ctx.countClose('will_not_authorized')
          authenticator.forget(client)
          ctx.log.debug({ clientId: client.id, topic: will.topic }, 'CONNECT refused: will not allowed for this identity')
          done(refusal('will not authorized', 5), false)
          return
        }
        if (r.ok) { done(null, true); return }
        done(refusal('connection refused', r.returnCode), false)
      }, (err: unknown) => {
        ctx.log.error({ err: (err as Error).message }, 'authentication error')
        done(refusal('server unavailable', 3), false)
      })
    }
  }
}
