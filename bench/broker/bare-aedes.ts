/**
 * bench/broker peer: Aedes alone, none of our hooks, on one TCP port, with the
 * options `mimamori broker` gives it that change the message path (memory
 * persistence, unbounded delivery concurrency). The gap between this and
 * `mimamori broker` is what our hooks cost; the gap between this and Mosquitto
 * is Aedes' own.
 *
 *   node dist/bench/broker/bare-aedes.js --port 1883
 */
import { createServer } from 'node:net'
import { parseArgs } from 'node:util'
import { Aedes } from 'aedes'

const { values } = parseArgs({ options: { port: { type: 'string', default: '1883' } } })

const aedes = await Aedes.createBroker({ concurrency: 0 })
const server = createServer({ noDelay: true }, socket => { aedes.handle(socket) })
server.listen(Number(values.port), '127.0.0.1')
process.once('SIGTERM', () => {
  server.close()
  aedes.close(() => { process.exit(0) })
})
