import { resolve } from 'node:path'
import type { Config } from '../../core/config/schema.js'
import { MimamoriError, toMimamoriError, type ErrorCode } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { BUILTIN_CODECS_DIR } from './builtin.js'
import { loadCodecFolder, type LoadedCodec, type RefusedCodec } from './loader.js'
import { resolveProfiles, type DeviceProfile } from './profiles.js'
import type { DecodeResult, SandboxLimits, UplinkInput } from './sandbox.js'

export interface CodecStats {
  calls: number
  /** stops (time / memory limit) since the last good call */
  consecutiveStops: number
  /** paused until this time (ms since epoch) after quarantineAfter stops in a row; 0 = running */
  pausedUntil: number
  /** stopped or failed calls by code (MIMAMORI_ERR_CODEC_TIMEOUT, …) */
  failures: Partial<Record<ErrorCode, number>>
}

export interface DeviceCodecs {
  /** loads the built-in codecs and every configured folder; refused codecs are logged and listed, never fatal */
  start(): Promise<void>
  /** resolves once start()'s loading finished (a decode waits for it) */
  ready(): Promise<void>
  close(): Promise<void>
  readonly profiles: ReadonlyMap<string, DeviceProfile>
  readonly loaded: ReadonlyMap<string, LoadedCodec>
  readonly refused: readonly RefusedCodec[]
  readonly stats: ReadonlyMap<string, CodecStats>
  /** for /healthz (and through it /metrics): codecs loaded and refused, calls and failures per codec */
  health(): { loaded: number, refused: number, byCodec: Record<string, { calls: number, paused: number, failures: Record<string, number> }> }
  /**
   * Decodes one uplink with the profile's codec in its sandbox. Throws a coded
   * MimamoriError (MIMAMORI_ERR_CODEC_*) for a codec that is missing, stopped,
   * threw or reported errors; the failure is counted against the codec.
   */
  decode(profile: DeviceProfile, input: UplinkInput): Required<Pick<DecodeResult, 'data'>> & DecodeResult
}

export function sandboxLimits (config: Config): SandboxLimits {
  const s = config.lorawan.sandbox
  return { cpuMs: s.cpuMs, loadMs: Math.max(2000, s.cpuMs * 10), memoryBytes: s.memoryMb * 1024 * 1024, maxResultBytes: s.maxResultKb * 1024, stackBytes: 256 * 1024 }
}

/** The codec plug-ins and device profiles of one process (ingest builds one at start). */
/** A stop the sandbox enforced (not a codec's own error): the ones that cost ingest time. */
const STOPS = new Set<ErrorCode>(['MIMAMORI_ERR_CODEC_TIMEOUT', 'MIMAMORI_ERR_CODEC_MEMORY'])

export function createDeviceCodecs ({ config, logger, now = Date.now }: { config: Config, logger: Logger, now?: () => number }): DeviceCodecs {
  const log = logger.child({ component: 'codecs' })
  const cfg = config.lorawan
  const profiles = resolveProfiles(cfg.profiles)
  const loaded = new Map<string, LoadedCodec>()
  const refused: RefusedCodec[] = []
  const stats = new Map<string, CodecStats>()
  const statsOf = (id: string): CodecStats => {
    let s = stats.get(id)
    if (s === undefined) { s = { calls: 0, consecutiveStops: 0, pausedUntil: 0, failures: {} }; stats.set(id, s) }
    return s
  }

  let loading: Promise<void> | undefined
  let closed = false

  async function load (): Promise<void> {
    const folders = [...(cfg.builtInCodecs ? [BUILTIN_CODECS_DIR] : []), ...cfg.codecFolders.map(f => resolve(f))]
    const opts = { limits: sandboxLimits(config), vendorExamplesRoot: cfg.vendorExamplesDir }
    for (const folder of folders) {
      let r: Awaited<ReturnType<typeof loadCodecFolder>>
      try {
        r = await loadCodecFolder(folder, opts)
      } catch (err) {
        const error = toMimamoriError(err)
        refused.push({ id: folder, yaml: folder, error, failures: [] })
        log.error({ folder, code: error.code, err: error.message }, 'codec folder refused')
        continue
      }
      for (const c of r.loaded) {
        loaded.get(c.id)?.codec.dispose()
        loaded.set(c.id, c)
        log.info({ codec: c.id, examples: c.examples, vendorExamples: c.vendorExamples }, 'codec loaded')
      }
      for (const x of r.refused) {
        refused.push(x)
        log.error({ codec: x.id, code: x.error.code, failures: x.failures }, `codec refused: ${x.error.message}`)
      }
    }
    for (const p of profiles.values()) {
      if (!loaded.has(p.codec)) log.warn({ profile: p.id, codec: p.codec }, 'device profile has no loaded codec; its devices are refused')
    }
  }

  return {
    profiles,
    loaded,
    refused,
    stats,
    async start () {
      loading ??= load()
      await loading
    },
    health () {
      // failure keys as metric-friendly words (MIMAMORI_ERR_CODEC_TIMEOUT → timeout): /metrics names come from these paths
      const short = (code: string): string => code.replace(/^MIMAMORI_ERR_(CODEC_)?/, '').toLowerCase()
      const byCodec = Object.fromEntries([...stats].map(([id, s]) => [id, { calls: s.calls, paused: s.pausedUntil > now() ? 1 : 0, failures: Object.fromEntries(Object.entries(s.failures).map(([c, n]) => [short(c), n ?? 0])) }]))
      return { loaded: loaded.size, refused: refused.length, byCodec }
    },
    async ready () {
      loading ??= load()
      await loading
    },
    async close () {
      if (closed) return
      closed = true
      await loading?.catch(() => undefined)
      for (const c of loaded.values()) c.codec.dispose()
      loaded.clear()
    },
    decode (profile, input) {
      const c = loaded.get(profile.codec)
      if (c === undefined) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `codec ${profile.codec} of profile ${profile.id} is not loaded`)
      const s = statsOf(c.id)
      // a codec that keeps running into its limits costs cpuMs of ingest per uplink: pause it for a while
      if (s.pausedUntil > now()) {
        s.failures.MIMAMORI_ERR_CODEC_QUARANTINED = (s.failures.MIMAMORI_ERR_CODEC_QUARANTINED ?? 0) + 1
        throw new MimamoriError('MIMAMORI_ERR_CODEC_QUARANTINED', `codec ${c.id} is paused until ${new Date(s.pausedUntil).toISOString()} after ${cfg.sandbox.quarantineAfter} stops in a row`)
      }
      s.calls++
      try {
        const r = c.codec.decodeUplink(input)
        if (Array.isArray(r.errors) && r.errors.length > 0) {
          throw new MimamoriError('MIMAMORI_ERR_CODEC_DECODE', `codec ${c.id}: ${r.errors.map(String).join('; ').slice(0, 200)}`)
        }
        if (r.data === null || typeof r.data !== 'object' || Array.isArray(r.data)) throw new MimamoriError('MIMAMORI_ERR_CODEC_RESULT', `codec ${c.id} returned no data object`)
        s.consecutiveStops = 0
        return { ...r, data: r.data }
      } catch (err) {
        const e = toMimamoriError(err)
        s.failures[e.code] = (s.failures[e.code] ?? 0) + 1
        if (STOPS.has(e.code)) {
          if (++s.consecutiveStops >= cfg.sandbox.quarantineAfter) {
            s.pausedUntil = now() + cfg.sandbox.quarantineS * 1000
            s.consecutiveStops = 0
            log.error({ codec: c.id, until: new Date(s.pausedUntil).toISOString() }, 'codec paused after repeated stops')
          }
        } else {
          s.consecutiveStops = 0
        }
        if (e.code !== 'MIMAMORI_ERR_CODEC_DECODE') log.warn({ codec: c.id, code: e.code }, e.message)
        throw e
      }
    }
  }
}
