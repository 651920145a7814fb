import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { basename, dirname, join, relative, resolve, sep } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { MimamoriError, toMimamoriError } from '../../core/errors.js'
import { compareExample, exampleThrew, formatFailure, isCodecExample, type CodecExample, type ExampleFailure } from './examples.js'
import { DEFAULT_SANDBOX_LIMITS, loadSandboxedCodec, type SandboxedCodec, type SandboxLimits } from './sandbox.js'

export interface LoadedCodec {
  /** `<folder>/<name>`: the codec YAML's path below its root without `-codec.yaml`, e.g. `dragino/ldds75-114` */
  id: string
  file: string
  codec: SandboxedCodec
  /** examples run at load: the codec's own, and the vendor's referenced ones when their root is present */
  examples: number
  vendorExamples: number
}

export interface RefusedCodec {
  id: string
  yaml: string
  error: MimamoriError
  /** the examples that failed, each with its input and differences */
  failures: ExampleFailure[]
}

export interface CodecLoadOptions {
  limits?: SandboxLimits | undefined
  /**
   * Root of the device-repository YAMLs that `uplinkDecoder.vendorExamples`
   * names (e.g. $MIMAMORI_SHARED/devices/lorawan). When it is set, a referenced
   * file that is missing refuses the codec; when unset the reference is skipped.
   */
  vendorExamplesRoot?: string | undefined
}

interface CodecYaml {
  uplinkDecoder?: { fileName?: unknown, examples?: unknown, vendorExamples?: unknown }
}

/** Every `*-codec.yaml` under `root` (two folder levels deep, as in the device repository's vendor/<vendor>/). */
export function findCodecYamls (root: string): string[] {
  const out: string[] = []
  const walk = (dir: string, depth: number): void => {
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith('.')) continue
      const p = join(dir, name)
      if (statSync(p).isDirectory()) { if (depth < 2) walk(p, depth + 1) } else if (name.endsWith('-codec.yaml')) out.push(p)
    }
  }
  if (!existsSync(root)) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `codec folder ${root} does not exist`)
  walk(root, 0)
  return out
}

/** The codec's id: its YAML's path below the folder root, or `<root name>/<name>` for a YAML at the top. */
export function codecIdOf (root: string, yamlPath: string): string {
  const rel = relative(root, yamlPath).split(sep).join('/').replace(/-codec\.yaml$/, '')
  return rel.includes('/') ? rel : `${basename(resolve(root))}/${rel}`
}

/**
 * Loads one codec: its YAML, the JS file it names (from the same folder, as
 * the vendor ships it, unchanged), into its own sandbox; then runs every
 * example and refuses the codec (MIMAMORI_ERR_CODEC_EXAMPLE, with the example
 * and the differences) if one fails. A codec with no example at all is refused
 * too: nothing would show that it decodes what it claims to.
 */
export async function loadCodec (id: string, yamlPath: string, o: CodecLoadOptions = {}): Promise<LoadedCodec> {
  let doc: CodecYaml
  try {
    doc = parseYaml(readFileSync(yamlPath, 'utf8')) as CodecYaml
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `${yamlPath}: ${(err as Error).message}`)
  }
  const up = doc?.uplinkDecoder
  const fileName = up?.fileName
  if (typeof fileName !== 'string' || fileName.includes('/') || fileName.includes('\\') || !fileName.endsWith('.js')) {
    throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `${yamlPath}: uplinkDecoder.fileName must name a .js file in the same folder`)
  }
  const jsPath = join(dirname(yamlPath), fileName)
  if (!existsSync(jsPath)) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `${yamlPath}: ${fileName} not found beside it`)
  const own = examplesOf(yamlPath, up?.examples)
  const vendor = vendorExamples(yamlPath, up?.vendorExamples, o.vendorExamplesRoot)
  if (own.length + vendor.length === 0) throw new MimamoriError('MIMAMORI_ERR_CODEC_EXAMPLE', `${yamlPath}: no uplinkDecoder.examples to prove the codec`)

  const codec = await loadSandboxedCodec(id, readFileSync(jsPath, 'utf8'), o.limits ?? DEFAULT_SANDBOX_LIMITS)
  const failures = runExamples(codec, [...own, ...vendor])
  if (failures.length > 0) {
    codec.dispose()
    const err = new MimamoriError('MIMAMORI_ERR_CODEC_EXAMPLE', `codec ${id} refused: ${failures.map(formatFailure).join(' | ')}`)
    Object.assign(err, { failures })
    throw err
  }
  return { id, file: jsPath, codec, examples: own.length, vendorExamples: vendor.length }
}

export function runExamples (codec: SandboxedCodec, examples: readonly CodecExample[]): ExampleFailure[] {
  const failures: ExampleFailure[] = []
  for (const ex of examples) {
    try {
      const recvTime = ex.input.recvTime === undefined ? undefined : new Date(ex.input.recvTime)
      const f = compareExample(ex, codec.decodeUplink({ bytes: ex.input.bytes, fPort: ex.input.fPort, recvTime }))
      if (f !== null) failures.push(f)
    } catch (err) {
      const e = toMimamoriError(err)
      failures.push(exampleThrew(ex, `${e.code}: ${e.message}`))
    }
  }
  return failures
}

/** Loads every codec under `root`; a refused one is listed with its reason and never stops the others. */
export async function loadCodecFolder (root: string, o: CodecLoadOptions = {}): Promise<{ loaded: LoadedCodec[], refused: RefusedCodec[] }> {
  const loaded: LoadedCodec[] = []
  const refused: RefusedCodec[] = []
  for (const yaml of findCodecYamls(root)) {
    const id = codecIdOf(root, yaml)
    try {
      loaded.push(await loadCodec(id, yaml, o))
    } catch (err) {
      const error = toMimamoriError(err)
      refused.push({ id, yaml, error, failures: (err as { failures?: ExampleFailure[] }).failures ?? [] })
    }
  }
  return { loaded, refused }
}

function examplesOf (where: string, raw: unknown): CodecExample[] {
  if (raw === undefined || raw === null) return []
  if (!Array.isArray(raw)) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `${where}: uplinkDecoder.examples is not a list`)
  return raw.map((e, i) => {
    if (!isCodecExample(e)) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `${where}: example ${i + 1} needs input.fPort, input.bytes (0-255) and output`)
    return e
  })
}

function vendorExamples (yamlPath: string, ref: unknown, root: string | undefined): CodecExample[] {
  if (ref === undefined || root === undefined) return []
  if (typeof ref !== 'string' || ref.split('/').includes('..')) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `${yamlPath}: vendorExamples must be a path below the vendor examples root`)
  const file = join(root, ref)
  if (!existsSync(file)) throw new MimamoriError('MIMAMORI_ERR_CODEC_EXAMPLE', `${yamlPath}: vendor examples ${file} not found`)
  const doc = parseYaml(readFileSync(file, 'utf8')) as CodecYaml
  return examplesOf(file, doc?.uplinkDecoder?.examples).map(e => ({ ...e, description: `vendor: ${e.description ?? ''}` }))
}
