import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs'
import { createServer, request, type IncomingMessage, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { waitFor } from './app.js'
import { freePort, onFreshPort } from './ports.js'
import { listensOn } from './proc.js'

/**
 * Real database servers from Debian packages, started by tests on loopback
 * ephemeral ports with throwaway data dirs. `stop()` + `start()` restart on
 * the same port and data dir (for outage tests); `close()` stops and deletes.
 */
export interface ManagedServer {
  readonly url: string
  readonly port: number
  readonly dataDir: string
  readonly running: boolean
  start(): Promise<void>
  /** SIGTERM and wait for the process to exit */
  stop(): Promise<void>
  close(): Promise<void>
  /** the server's own log, for failure messages */
  log(): string
}

export const VICTORIA_METRICS_BIN = process.env.MIMAMORI_VM_BIN ?? '/usr/bin/victoria-metrics'
export const INFLUXD_BIN = process.env.MIMAMORI_INFLUXD_BIN ?? '/usr/bin/influxd'

export function haveBinary (path: string): boolean {
  return existsSync(path)
}

/**
 * Tests that need a server fail (never skip) when it is missing: a green run
 * must mean the zero-loss path was exercised. `.ci/run` installs them.
 */
export function requireBinary (path: string, debianPackage: string): void {
  if (!existsSync(path)) throw new Error(`${path} not found: install the Debian package ${debianPackage} (bash .ci/run does) or point MIMAMORI_VM_BIN / MIMAMORI_INFLUXD_BIN at it`)
}

export { freePort } from './ports.js'

/** Tests of the port retry choose the first port themselves (a taken one). */
export interface PortChoice { choosePort?: () => Promise<number> }

interface ProcessSpec {
  bin: string
  /** `more` holds `morePorts` further fresh ports (e.g. influxd's RPC port), chosen again on every attempt */
  args: (port: number, dataDir: string, more: number[]) => string[]
  env?: (port: number, dataDir: string, more: number[]) => Record<string, string>
  morePorts?: number
  /** resolves when the server answers; called repeatedly */
  ready: (url: string) => Promise<boolean>
  name: string
}

/** Starts the server, on fresh ports again whenever one was lost between choosing and binding. */
async function startManaged (spec: ProcessSpec, choose?: () => Promise<number>): Promise<ManagedServer> {
  return await onFreshPort(spec.name, async port => {
    const more: number[] = []
    for (let i = 0; i < (spec.morePorts ?? 0); i++) more.push(await freePort())
    const server = managed(spec, port, more)
    try {
      await server.start()
    } catch (err) {
      await server.close()
      throw err
    }
    return server
  }, choose)
}

function managed (spec: ProcessSpec, port: number, more: number[]): ManagedServer {
  const dataDir = mkdtempSync(join(tmpdir(), `mimamori-${spec.name}-`))
  const url = `http://127.0.0.1:${port}`
  const logFile = join(dataDir, 'server.log')
  let child: ChildProcess | undefined
  let exited: Promise<void> | undefined

  const server: ManagedServer = {
    url,
    port,
    dataDir,
    get running () { return child !== undefined },
    async start () {
      if (child !== undefined) return
      const fd = openSync(logFile, 'a')
      const proc = spawn(spec.bin, spec.args(port, dataDir, more), {
        env: { ...process.env, ...(spec.env?.(port, dataDir, more) ?? {}) },
        stdio: ['ignore', fd, fd]
      })
      closeSync(fd)
      child = proc
      exited = new Promise(resolve => { proc.once('exit', () => { resolve() }) })
      const died = exited.then(() => { throw new Error(`${spec.name} exited during start:\n${server.log().slice(-2000)}`) })
      // ready only once *this* process holds the port: whoever took it meanwhile may answer the same probe
      const ours = async (): Promise<true | undefined> => (child === proc && listensOn(proc.pid, port) && await spec.ready(url)) ? true : undefined
      try {
        await Promise.race([waitFor(ours, `${spec.name} ready on ${url}`, 30_000), died])
      } catch (err) {
        await server.stop()
        throw err
      }
    },
    async stop () {
      const proc = child
      if (proc === undefined) return
      child = undefined
      proc.kill('SIGTERM')
      const killer = setTimeout(() => proc.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(killer)
    },
    async close () {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
    log: () => existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''
  }
  return server
}

const answers = (path: string, status: number[]) => async (url: string): Promise<boolean> => {
  try {
    const res = await fetch(url + path, { signal: AbortSignal.timeout(1000) })
    await res.arrayBuffer()
    return status.includes(res.status)
  } catch {
    return false
  }
}

/** VictoriaMetrics single node: accepts InfluxDB line protocol on /api/v2/write and /write. */
export async function startVictoriaMetrics (options: PortChoice = {}): Promise<ManagedServer> {
  requireBinary(VICTORIA_METRICS_BIN, 'victoria-metrics')
  return await startManaged({
    name: 'victoria-metrics',
    bin: VICTORIA_METRICS_BIN,
    args: (port, dir) => [
      `-httpListenAddr=127.0.0.1:${port}`,
      `-storageDataPath=${join(dir, 'data')}`,
      '-retentionPeriod=100y',
      '-loggerLevel=WARN',
      // tests write past times and read them back at once: no response cache to answer from an earlier read
      '-search.disableCache'
    ],
    ready: answers('/health', [200])
  }, options.choosePort)
}

/** InfluxDB 1.x with auth off; the RPC (backup) port is also ephemeral so two tests never collide. */
export async function startInfluxDb1 (options: PortChoice = {}): Promise<ManagedServer & { createDatabase(name: string): Promise<void> }> {
  requireBinary(INFLUXD_BIN, 'influxdb')
  const s = await startManaged({
    name: 'influxd',
    bin: INFLUXD_BIN,
    args: () => [],
    morePorts: 1,
    env: (port, dir, [rpcPort]) => ({
      INFLUXDB_BIND_ADDRESS: `127.0.0.1:${rpcPort ?? 0}`,
      INFLUXDB_HTTP_BIND_ADDRESS: `127.0.0.1:${port}`,
      INFLUXDB_META_DIR: join(dir, 'meta'),
      INFLUXDB_DATA_DIR: join(dir, 'data'),
      INFLUXDB_DATA_WAL_DIR: join(dir, 'wal'),
      INFLUXDB_REPORTING_DISABLED: 'true',
      INFLUXDB_HTTP_LOG_ENABLED: 'false',
      INFLUXDB_DATA_QUERY_LOG_ENABLED: 'false',
      INFLUXDB_MONITOR_STORE_ENABLED: 'false'
    }),
    ready: answers('/ping', [204])
  }, options.choosePort)
  return Object.assign(s, {
    async createDatabase (name: string) {
      const res = await fetch(`${s.url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE DATABASE "${name}"` }) })
      if (!res.ok) throw new Error(`CREATE DATABASE failed: ${res.status} ${await res.text()}`)
    }
  })
}

/**
 * Test-only pass-through to `target` on a loopback port: every request is forwarded to the
 * path `route` gives for it (its own by default), the answer streamed back unchanged.
 */
async function startPassThrough (target: string, route: (req: IncomingMessage) => string): Promise<{ url: string, close(): Promise<void> }> {
  const t = new URL(target)
  const server: Server = createServer((req, res) => {
    const up = request({ host: t.hostname, port: t.port, method: req.method, path: route(req), headers: { ...req.headers, host: t.host } }, upRes => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers)
      upRes.pipe(res)
    })
    up.on('error', err => { res.writeHead(502); res.end(err.message) })
    req.pipe(up)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const addr = server.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => { await new Promise<void>(resolve => { server.closeAllConnections(); server.close(() => { resolve() }) }) }
  }
}

/**
 * Test-only shim for InfluxDB < 1.8, which has no /api/v2/write: rewrites
 * `/api/v2/write?bucket=B&precision=P` to `/write?db=B&precision=P` and passes
 * every other request through unchanged. Counts write requests it forwarded.
 */
export async function startV2WriteRewriteProxy (target: string): Promise<{ url: string, writes: () => number, close(): Promise<void> }> {
  let writes = 0
  const proxy = await startPassThrough(target, req => {
    const u = new URL(req.url ?? '/', 'http://proxy')
    if (u.pathname !== '/api/v2/write') return u.pathname + u.search
    writes++
    const q = new URLSearchParams()
    q.set('db', u.searchParams.get('bucket') ?? '')
    const p = u.searchParams.get('precision') ?? 'ns'
    q.set('precision', ({ ns: 'n', us: 'u', ms: 'ms', s: 's' } as Record<string, string>)[p] ?? p)
    return `/write?${q.toString()}`
  })
  return { ...proxy, writes: () => writes }
}

/** Test-only pass-through that records every request's path and content-encoding (what reached the wire). */
export async function startRecordingProxy (target: string): Promise<{ url: string, requests: Array<{ path: string, encoding: string | null }>, close(): Promise<void> }> {
  const requests: Array<{ path: string, encoding: string | null }> = []
  const proxy = await startPassThrough(target, req => {
    requests.push({ path: req.url ?? '/', encoding: req.headers['content-encoding'] ?? null })
    return req.url ?? '/'
  })
  return { ...proxy, requests }
}

/** VictoriaMetrics /api/v1/export as {labels, values, timestamps} per series (raw samples, no dedup). */
export async function exportVictoriaMetrics (url: string, match: string): Promise<Array<{ metric: Record<string, string>, values: number[], timestamps: number[] }>> {
  // make just-ingested rows searchable now instead of after VM's buffer flush interval
  await (await fetch(`${url}/internal/force_flush`)).arrayBuffer()
  const res = await fetch(`${url}/api/v1/export?${new URLSearchParams({ 'match[]': match }).toString()}`)
  if (!res.ok) throw new Error(`export failed: ${res.status} ${await res.text()}`)
  const text = await res.text()
  return text.split('\n').filter(l => l.trim() !== '').map(l => JSON.parse(l) as { metric: Record<string, string>, values: number[], timestamps: number[] })
}

/**
 * A TCP relay whose link can be cut and restored on the same port: the radio
 * link or backhaul of a device going down, without touching the broker.
 */
export async function startTcpLink (targetPort: number, targetHost = '127.0.0.1'): Promise<{ port: number, url: string, cut(): Promise<void>, restore(): Promise<void>, close(): Promise<void> }> {
  const { createServer: createTcp, connect } = await import('node:net')
  const sockets = new Set<import('node:net').Socket>()
  const make = (): import('node:net').Server => createTcp(client => {
    const upstream = connect(targetPort, targetHost)
    sockets.add(client)
    sockets.add(upstream)
    const drop = (): void => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream) }
    client.on('error', drop).on('close', drop)
    upstream.on('error', drop).on('close', drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  let server = make()
  const listen = async (port: number): Promise<number> => await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const a = server.address()
      resolve(typeof a === 'object' && a !== null ? a.port : port)
    })
  })
  const port = await listen(0)
  const stopListening = async (): Promise<void> => {
    for (const s of sockets) s.destroy()
    sockets.clear()
    if (server.listening) await new Promise<void>(resolve => server.close(() => { resolve() }))
  }
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    cut: stopListening,
    async restore () {
      server = make()
      await listen(port)
    },
    close: stopListening
  }
}
