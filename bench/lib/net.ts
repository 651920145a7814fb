import { connect as netConnect, createServer } from 'node:net'

/** The small process and port chores every bench that starts servers repeats. */

export const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** a loopback port free right now (the OS picks it; a server started next takes it) */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const srv = createServer()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => { const a = srv.address(); srv.close(() => { resolve(typeof a === 'object' && a !== null ? a.port : 0) }) })
  })
}

/** resolves once something accepts TCP connections on the loopback port; gives up after about 30 s */
export async function waitPort (port: number): Promise<void> {
  for (let i = 0; i < 300; i++) {
    const ok = await new Promise<boolean>(resolve => {
      const s = netConnect(port, '127.0.0.1', () => { s.destroy(); resolve(true) })
      s.once('error', () => { resolve(false) })
    })
    if (ok) return
    await sleep(100)
  }
  throw new Error(`nothing listening on ${port}`)
}
