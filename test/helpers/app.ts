import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type DeepPartial } from '../../core/config/load.js'
import type { Config } from '../../core/config/schema.js'
import { silentLogger } from '../../core/logger.js'
import { createApp, type App, type AppInfo } from '../../cli/app.js'
import { tokenFor, useToken } from './auth.js'

export const REPO_ROOT = join(import.meta.dirname, '..', '..')
/** ../shared beside the checkout (read in place, never copied); MIMAMORI_SHARED overrides */
export const SHARED = process.env.MIMAMORI_SHARED ?? join(REPO_ROOT, '..', 'shared')

/** The bundled demo stations/cameras, so tests and `npm start` see the same fleet. */
export function demoConfigFile (): string {
  return join(REPO_ROOT, 'config', 'demo.json')
}

export interface TestApp {
  app: App
  info: AppInfo
  config: Config
  dataDir: string
  /** API token of the test admin; apiFetch and openSse send it to this app's dashboard (test/helpers/auth.ts) */
  token: string
  close(): Promise<void>
}

/**
 * The real all-in-one on ephemeral ports with a throwaway data dir and the
 * demo fleet off, so the test is the only device talking.
 */
export async function startTestApp (overrides: DeepPartial<Config> = {}): Promise<TestApp> {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-test-'))
  const base: DeepPartial<Config> = {
    dataDir,
    log: { level: 'silent' },
    // MIMAMORI_BROKER__THREAD=on|off runs the same tests with the broker in its thread or in the main loop
    broker: { port: 0, wsPort: 0, ...(isThreadMode(process.env.MIMAMORI_BROKER__THREAD) ? { thread: process.env.MIMAMORI_BROKER__THREAD } : {}) },
    // the demo's auto sign-in would let every loopback request through; tests sign in for real
    dashboard: { port: 0, auth: { demoLogin: false } },
    sim: { enabled: false },
    // the demo's hunters would receive every test's sightings; a test registers its own
    hunters: []
  }
  const config = loadConfig({ file: demoConfigFile(), overrides: merge(base, overrides) })
  const app = createApp({ config, logger: silentLogger() })
  const info = await app.start()
  const token = await tokenFor(config, 'test-admin', 'admin')
  useToken(info.dashboardUrl, token)
  return {
    app,
    info,
    config,
    dataDir,
    token,
    async close () {
      await app.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

function isThreadMode (v: string | undefined): v is 'auto' | 'on' | 'off' {
  return v === 'auto' || v === 'on' || v === 'off'
}

function merge (a: Record<string, unknown>, b: Record<string, unknown>): DeepPartial<Config> {
  const out: Record<string, unknown> = { ...a }
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k]
    out[k] = prev !== null && typeof prev === 'object' && !Array.isArray(prev) && v !== null && typeof v === 'object' && !Array.isArray(v)
      ? merge(prev as Record<string, unknown>, v as Record<string, unknown>)
      : v
  }
  return out as DeepPartial<Config>
}

export function readDemoConfig (): { stations: Config['stations'], cameras: Config['cameras'] } {
  return JSON.parse(readFileSync(demoConfigFile(), 'utf8')) as { stations: Config['stations'], cameras: Config['cameras'] }
}

/** Polls until `check` returns a value (not undefined); used instead of sleeps. */
export async function waitFor<T> (check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last === undefined ? '' : `: ${String(last)}`}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

/** runs the built CLI (`dist/cli/main.js`) to its exit, with extra environment */
export async function runCli (args: string[], env: Record<string, string> = {}): Promise<{ code: number | null, out: string, err: string }> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { err += d.toString() })
  const code = await new Promise<number | null>(resolve => child.on('exit', c => { resolve(c) }))
  return { code, out, err }
}
