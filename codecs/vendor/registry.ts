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
export function createDeviceCodecs ({ config, logger }: { config: Config, logger: Logger }): DeviceCodecs {
  const log = logger.child({ component: 'codecs' })
  const cfg = config.lorawan
  const profiles = resolveProfiles(cfg.profiles)
  const loaded = new Map<string, LoadedCodec>()
  const refused: RefusedCodec[] = []
  const stats = new Map<string, CodecStats>()
  const statsOf = (id: string): CodecStats => {
    let s = stats.get(id)
    if (s === undefined) { s = { calls: 0, failures: {} }; stats.set(id, s) }
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
      s.calls++
      try {
        const r = c.codec.decodeUplink(input)
        if (Array.isArray(r.errors) && r.errors.length > 0) {
          throw new MimamoriError('MIMAMORI_ERR_CODEC_DECODE', `codec ${c.id}: ${r.errors.map(String).join('; ').slice(0, 200)}`)
        }
        if (r.data === null || typeof r.data !== 'object' || Array.isArray(r.data)) throw new MimamoriError('MIMAMORI_ERR_CODEC_RESULT', `codec ${c.id} returned no data object`)
        return { ...r, data: r.data }
      } catch (err) {
        const e = toMimamoriError(err)
        s.failures[e.code] = (s.failures[e.code] ?? 0) + 1
        if (e.code !== 'MIMAMORI_ERR_CODEC_DECODE') log.warn({ codec: c.id, code: e.code }, e.message)
        throw e
      }
    }
  }
}
