import { Readable } from 'node:stream'

/**
 * An in-memory index, in front of aedes-persistence-level, of which clients have any
 * subscriptions, inbound QoS 2 packets, queued outbound packets or a will on disk.
 * A clean-session CONNECT makes aedes scan for subscriptions, clear the inbound range,
 * read and delete the will and open an outbound stream: four LevelDB round trips
 * (iterator, range delete, get, iterator) that find nothing for a gauge, and were the
 * top of the CPU profile of a 2 000-gauge reconnect storm (bench/storm --cpu-prof).
 * With the index those calls return at once when the client has nothing stored;
 * writes still go to disk as before. Built from one key scan at start; valid because
 * the level backend belongs to one broker process (broker/persistence.ts).
 */
type Fn = (...args: any[]) => any // eslint-disable-line @typescript-eslint/no-explicit-any

interface KeyDb { keys(options: { gte: string, lt: string }): AsyncIterable<string> }

const PREFIXES = { subs: 'subscriptions:', incoming: 'incoming:', outgoing: 'outgoing:', will: 'will:' } as const

export async function indexLevelPersistence (instance: object, db: KeyDb): Promise<void> {
  const has = { subs: new Set<string>(), incoming: new Set<string>(), outgoing: new Set<string>(), will: new Set<string>() }
  for (const [name, prefix] of Object.entries(PREFIXES) as Array<[keyof typeof has, string]>) {
    for await (const key of db.keys({ gte: prefix, lt: `${prefix.slice(0, -1)};` })) {
      const rest = key.slice(prefix.length)
      const end = rest.indexOf(':')
      // ids are stored URI-encoded; the index keys on the encoded form too
      has[name].add(end < 0 ? rest : rest.slice(0, end))
    }
  }
  const enc = (c: { id: string }): string => encodeURIComponent(c.id)
  const p = instance as Record<string, Fn>
  const wrap = (name: string, around: (original: Fn) => Fn): void => {
    const original = (p[name] as Fn).bind(instance)
    p[name] = around(original)
  }
  wrap('addSubscriptions', o => async (client: { id: string }, subs: unknown) => { has.subs.add(enc(client)); return await o(client, subs) })
  wrap('cleanSubscriptions', o => async (client: { id: string }) => {
    const id = enc(client)
    if (!has.subs.has(id)) return
    await o(client)
    has.subs.delete(id)
  })
  wrap('incomingStorePacket', o => async (client: { id: string }, packet: unknown) => { has.incoming.add(enc(client)); return await o(client, packet) })
  wrap('cleanIncoming', o => async (client: { id: string }) => {
    const id = enc(client)
    if (!has.incoming.has(id)) return
    await o(client)
    has.incoming.delete(id)
  })
  wrap('outgoingEnqueue', o => async (sub: { clientId: string }, packet: unknown) => { has.outgoing.add(encodeURIComponent(sub.clientId)); return await o(sub, packet) })
  wrap('outgoingEnqueueCombi', o => async (subs: Array<{ clientId: string }> | undefined, packet: unknown) => {
    for (const s of subs ?? []) has.outgoing.add(encodeURIComponent(s.clientId))
    return await o(subs, packet)
  })
  // a client with nothing queued gets an empty stream; once queued, always the real one
  wrap('outgoingStream', o => (client: { id: string }) => has.outgoing.has(enc(client)) ? o(client) : Readable.from([]))
  // a put racing a delete of the same id (takeover) must leave the id indexed: generations
  const willGen = new Map<string, number>()
  wrap('putWill', o => async (client: { id: string }, packet: unknown) => {
    const id = enc(client)
    has.will.add(id)
    willGen.set(id, (willGen.get(id) ?? 0) + 1)
    return await o(client, packet)
  })
  wrap('getWill', o => async (client: { id: string }) => has.will.has(enc(client)) ? await o(client) : undefined)
  wrap('delWill', o => async (client: { id: string, will?: unknown }) => {
    const id = enc(client)
    if (!has.will.has(id)) return undefined
    // aedes' CONNECT (handlers/connect.js storeWill) deletes the old will and then puts the new one
    // under the same key, ignoring what the delete returns: the put overwrites, so the get and the
    // delete are skipped (2 of a reconnecting gauge's 3 LevelDB round trips). Only that caller
    // passes the live client with its new will set; the others pass { id, brokerId }.
    if (client.will !== undefined && client.will !== null) return undefined
    const gen = willGen.get(id)
    const will: unknown = await o(client)
    if (willGen.get(id) === gen) { has.will.delete(id); willGen.delete(id) }
    return will
  })
}
