import { createServer } from 'node:net'

/** A port that was free a moment ago (bind 0, read it, release it) for servers that cannot take port 0. */
export async function freePort (): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const port = typeof address === 'object' && address !== null ? address.port : 0
      s.close(() => { resolve(port) })
    })
  })
}
