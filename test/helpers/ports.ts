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

/**
 * What servers print when the port chosen by freePort() was taken by
 * someone else before they bound it (Go: "bind: address already in use",
 * redis: "Address already in use", Node: EADDRINUSE).
 */
export const PORT_LOST = /EADDRINUSE|address already in use/i

export function portLost (err: unknown): boolean {
  return err instanceof Error && PORT_LOST.test(err.message)
}

/**
 * Starts a server on a port chosen by freePort(); when the port was lost
 * between choosing and binding (another process took it: the window is
 * unavoidable for servers that cannot bind port 0 themselves) the attempt is
 * thrown away and a fresh port is tried, so a busy machine never fails a run.
 * `start` must clean up after itself when it throws. `choose` picks the
 * ports (tests of this retry hand out a taken one first).
 */
export async function onFreshPort<T> (name: string, start: (port: number) => Promise<T>, choose: () => Promise<number> = freePort, attempts = 8): Promise<T> {
  let last: unknown
  for (let i = 0; i < attempts; i++) {
    const port = await choose()
    try {
      return await start(port)
    } catch (err) {
      if (!portLost(err)) throw err
      last = err
    }
  }
  throw new Error(`${name}: lost the port ${attempts} times in a row: ${last instanceof Error ? last.message : String(last)}`)
}

/** Port choosers for the tests of the retry: `first` once, then freePort(). */
export function takenFirst (first: number): () => Promise<number> {
  let used = false
  return async () => {
    if (used) return await freePort()
    used = true
    return first
  }
}
