import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { REPO_ROOT, waitFor } from '../helpers/app.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')

interface Run { child: ChildProcess, out: () => string, exit: Promise<number | null> }

function run (args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  const exit = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
  return { child, out: () => out, exit }
}

/** The compiled `mimamori` command as a user runs it (npm start = `mimamori start`). */
describe('mimamori CLI', () => {
  const dirs: string[] = []
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'mimamori-cli-'))
    dirs.push(d)
    return d
  }
  afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }) })

  it('start: runs broker, ingest, dashboard and the demo fleet, then shuts down in order on SIGINT', async () => {
    const r = run(['start'], {
      MIMAMORI_DATA_DIR: tmp(),
      MIMAMORI_BROKER__PORT: '0',
      MIMAMORI_BROKER__WS_PORT: '0',
      MIMAMORI_DASHBOARD__PORT: '0',
      MIMAMORI_LOG__PRETTY: 'false'
    })
    const url = await waitFor(() => /Dashboard \(map\):\s+(http:\/\/\S+)/.exec(r.out())?.[1], 'dashboard URL printed', 30_000)
    expect(r.out()).toMatch(/MQTT \(TCP\):\s+mqtt:\/\/127\.0\.0\.1:\d+/)
    // no admin in a fresh data dir: the banner says how to make one; loopback bind: no plain-HTTP warning
    expect(r.out()).toContain('First admin:       mimamori user add NAME --role admin')
    expect(r.out()).not.toContain('WARNING')
    // The demo (config/demo.json, dashboard.auth.demoLogin) signs nobody in by itself any more: the terminal
    // shows a one-time link, and opening it on this machine gives an ordinary session cookie.
    expect((await fetch(url + '/api/stations')).status).toBe(401)
    const link = /Sign-in \(DEMO\):[^\n]*\n\s+(http:\/\/127\.0\.0\.1:\d+\/api\/auth\/demo\?token=\S+)/.exec(r.out())?.[1]
    expect(link).toBeDefined()
    const signIn = await fetch(link!, { redirect: 'manual' })
    expect(signIn.status).toBe(303)
    const cookie = signIn.headers.getSetCookie().map(c => c.split(';')[0]!).find(c => c.startsWith('mimamori_sid='))!
    // The demo fleet reports at start: every station has a level within seconds.
    const stations = await waitFor(async () => {
      const body = await (await fetch(url + '/api/stations', { headers: { cookie } })).json() as Array<{ latest: unknown }>
      return body.length === 6 && body.every(s => s.latest !== null) ? body : undefined
    }, 'all demo stations reporting', 30_000)
    expect(stations).toHaveLength(6)
    const cams = await waitFor(async () => {
      const body = await (await fetch(url + '/api/cameras', { headers: { cookie } })).json() as Array<{ latest: unknown }>
      return body.length === 2 && body.every(c => c.latest !== null) ? body : undefined
    }, 'both demo cameras sent a burst', 30_000)
    expect(cams).toHaveLength(2)

    r.child.kill('SIGINT')
    expect(await r.exit).toBe(0)
    // ARCHITECTURE.md: dashboard → stop intake → drain ingest → flush store → broker
    const order = ['dashboard', 'demo fleet', 'ingest', 'store', 'broker']
      .map(step => r.out().indexOf(`"step":"${step}","msg":"shutdown step"`))
    expect(order.every(i => i >= 0)).toBe(true)
    expect([...order].sort((a, b) => a - b), r.out().slice(-3000)).toEqual(order)
  })

  it('start on a network address over plain HTTP: the banner warns with both ways out, prints the real URL and no first-admin hint once an admin exists', async () => {
    const dir = tmp()
    const env = { MIMAMORI_DATA_DIR: dir, MIMAMORI_LOG__PRETTY: 'false' }
    const add = run(['user', 'add', 'admin-tanaka', '--role', 'admin'], env)
    expect(await add.exit).toBe(0)
    const r = run(['start'], {
      ...env,
      MIMAMORI_BROKER__PORT: '0',
      MIMAMORI_BROKER__WS_PORT: '0',
      MIMAMORI_DASHBOARD__PORT: '0',
      MIMAMORI_DASHBOARD__HOST: '0.0.0.0',
      MIMAMORI_DASHBOARD__AUTH__DEMO_LOGIN: 'false',
      MIMAMORI_SIM__ENABLED: 'false'
    })
    try {
      await waitFor(() => r.out().includes('Ctrl-C stops everything') ? true : undefined, 'banner printed', 30_000)
      const out = r.out()
      const url = /Dashboard \(map\):\s+(http:\/\/\S+)/.exec(out)?.[1]
      expect(url).toBeDefined()
      expect(url).not.toMatch(/localhost|0\.0\.0\.0/)
      expect(out).toContain('WARNING: the dashboard is on the network (dashboard.host "0.0.0.0") over plain HTTP')
      expect(out).toContain('MIMAMORI_DASHBOARD__TLS__ENABLED=true MIMAMORI_DASHBOARD__TLS__CERT=cert.pem MIMAMORI_DASHBOARD__TLS__KEY=key.pem')
      expect(out).toContain('MIMAMORI_DASHBOARD__HOST=127.0.0.1 MIMAMORI_DASHBOARD__TRUST_PROXY=127.0.0.1')
      expect(out).toContain(`Sign-in:           ${url}/login.html`)
      expect(out).not.toContain('First admin:')
      expect(out).not.toContain('DEMO')
      // the same facts for pages: GET /api/server-info (the hunter page warns from it)
      const port = /:(\d+)$/.exec(url!)![1]
      expect(await (await fetch(`http://127.0.0.1:${port}/api/server-info`)).json()).toEqual({ secure: false, networkBind: true, demo: false })
    } finally {
      r.child.kill('SIGINT')
      expect(await r.exit).toBe(0)
    }
  })

  it('refuses a bad config with a message naming the key, exit code 1', async () => {
    const dir = tmp()
    const file = join(dir, 'bad.json')
    writeFileSync(file, JSON.stringify({ dashboard: { prot: 3000 }, broker: { port: 70000 } }))
    const r = run(['start', '--config', file], { MIMAMORI_DATA_DIR: dir })
    expect(await r.exit).toBe(1)
    expect(r.out()).toContain('MIMAMORI_ERR_CONFIG')
    expect(r.out()).toContain('dashboard.prot')
    expect(r.out()).toContain('broker.port')
  })

  it('names the env variable problem too', async () => {
    const r = run(['broker'], { MIMAMORI_BROKER__PORT: 'eighteen' })
    expect(await r.exit).toBe(1)
    expect(r.out()).toMatch(/broker\.port: must be integer/)
  })

  it('says when a port is taken instead of crashing with a stack', async () => {
    const first = run(['broker'], { MIMAMORI_BROKER__PORT: '0', MIMAMORI_BROKER__WS_PORT: '0' })
    const port = await waitFor(() => /"port":(\d+),"wsPort"/.exec(first.out())?.[1], 'first broker up')
    const second = run(['broker'], { MIMAMORI_BROKER__PORT: port, MIMAMORI_BROKER__WS_PORT: '0' })
    expect(await second.exit).toBe(1)
    expect(second.out()).toContain('MIMAMORI_ERR_LISTEN')
    expect(second.out()).toContain('EADDRINUSE')
    first.child.kill('SIGTERM')
    expect(await first.exit).toBe(0)
  })

  it('prints usage for an unknown command with exit code 2', async () => {
    const r = run(['fly'], {})
    expect(await r.exit).toBe(2)
    expect(r.out()).toContain('unknown command "fly"')
  })
})
