import { getQuickJS, type QuickJSContext, type QuickJSHandle, type QuickJSRuntime, type QuickJSWASMModule } from 'quickjs-emscripten'
import { MimamoriError, type ErrorCode } from '../../core/errors.js'

/**
 * A vendor codec (The Things Network device-repository format: a plain JS file
 * defining `decodeUplink(input)` and optionally `encodeDownlink(input)`) run in
 * a QuickJS interpreter compiled to WebAssembly. The codec sees only the
 * ECMAScript built-ins: no require, process, fs, timers or network exist in that
 * world, it has its own heap (memory limit) and every call runs under a deadline
 * that the interpreter's interrupt handler enforces. Its answer leaves the
 * sandbox only as a JSON string (size-capped) that the host parses itself, so no
 * object, prototype or getter of the codec's world reaches ours.
 *
 * Why QuickJS and not isolated-vm: isolated-vm 6 needs a native build against
 * this Node and 7 needs Node 24; node:vm is not a security boundary. QuickJS is
 * pure WASM, and a decode costs tens of microseconds (bench/codecs).
 */

export interface SandboxLimits {
  /** per call: the interpreter is interrupted past this, ms (the call is synchronous, so wall time on our thread is its CPU time) */
  cpuMs: number
  /** for evaluating the file itself (the first run also warms the WASM code up), ms */
  loadMs: number
  /** the codec's whole heap, bytes */
  memoryBytes: number
  /** the JSON of one result, characters */
  maxResultBytes: number
  /** the interpreter's stack, bytes (deep recursion fails cleanly) */
  stackBytes: number
}

export const DEFAULT_SANDBOX_LIMITS: SandboxLimits = { cpuMs: 100, loadMs: 2000, memoryBytes: 16 * 1024 * 1024, maxResultBytes: 64 * 1024, stackBytes: 256 * 1024 }

/** What TTN codecs return; `data` is free-form JSON. */
export interface DecodeResult {
  data?: Record<string, unknown>
  warnings?: string[]
  errors?: string[]
}
export interface EncodeResult {
  bytes?: number[]
  fPort?: number
  warnings?: string[]
  errors?: string[]
}
export interface UplinkInput {
  bytes: ArrayLike<number>
  fPort: number
  recvTime?: Date
}

export interface SandboxedCodec {
  readonly id: string
  readonly hasEncoder: boolean
  decodeUplink(input: UplinkInput): DecodeResult
  encodeDownlink(input: { data: unknown }): EncodeResult
  /** how many times the codec had to be stopped and its world rebuilt */
  readonly restarts: number
  dispose(): void
}

/**
 * Runs before the codec's own file: captures the built-ins the host relies on
 * (a codec may overwrite JSON or Date for itself) in a frozen global that
 * converts the input, calls the codec, and stringifies under the size cap.
 */
const PRELUDE = `(function (g) {
  var stringify = JSON.stringify, parse = JSON.parse, D = Date, def = Object.defineProperty;
  var noop = function () {};
  g.console = { log: noop, info: noop, warn: noop, error: noop, debug: noop };
  def(g, '__mimamoriCall', { writable: false, configurable: false, enumerable: false, value: function (name, inputJson, cap) {
    var fn = g[name];
    if (typeof fn !== 'function') return '{"__mimamori":"nofn"}';
    var input = parse(inputJson);
    if (typeof input.recvTime === 'number') input.recvTime = new D(input.recvTime);
    var out = fn(input);
    var s = stringify(out === undefined ? null : out);
    if (typeof s !== 'string') return 'null';
    if (s.length > cap) return '{"__mimamori":"toolarge","length":' + s.length + '}';
    return s;
  } });
})(globalThis);`

let modulePromise: Promise<QuickJSWASMModule> | undefined
/** The WASM module is compiled once per process; every codec gets its own runtime from it. */
export async function quickJs (): Promise<QuickJSWASMModule> {
  modulePromise ??= getQuickJS()
  return await modulePromise
}

interface World { rt: QuickJSRuntime, vm: QuickJSContext, call: QuickJSHandle }

/**
 * Loads one codec's source into a fresh sandbox. Throws MIMAMORI_ERR_CODEC_LOAD
 * (or _TIMEOUT / _MEMORY for a file that hangs or explodes while loading).
 */
export async function loadSandboxedCodec (id: string, source: string, limits: SandboxLimits = DEFAULT_SANDBOX_LIMITS): Promise<SandboxedCodec> {
  const qjs = await quickJs()
  let deadline = Number.POSITIVE_INFINITY
  let restarts = 0

  function build (): World {
    const rt = qjs.newRuntime()
    rt.setMemoryLimit(limits.memoryBytes)
    rt.setMaxStackSize(limits.stackBytes)
    rt.setInterruptHandler(() => Date.now() > deadline)
    const vm = rt.newContext()
    try {
      run(vm, PRELUDE, 'prelude.js')
      run(vm, source, `${id}.js`)
      const call = vm.getProp(vm.global, '__mimamoriCall')
      return { rt, vm, call }
    } catch (err) {
      vm.dispose()
      rt.dispose()
      throw err
    }
  }

  function run (vm: QuickJSContext, code: string, file: string): void {
    deadline = Date.now() + limits.loadMs
    try {
      const r = vm.evalCode(code, file)
      if (r.error !== undefined) {
        const e = describe(vm, r.error)
        r.error.dispose()
        throw e.code === 'MIMAMORI_ERR_CODEC_THREW' ? new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `codec ${id}: ${e.message}`) : e
      }
      r.value.dispose()
    } finally {
      deadline = Number.POSITIVE_INFINITY
    }
  }

  let world: World | undefined = build()
  const has = (name: string): boolean => {
    const w = world!
    const h = w.vm.getProp(w.vm.global, name)
    const ok = w.vm.typeof(h) === 'function'
    h.dispose()
    return ok
  }
  if (!has('decodeUplink')) {
    dispose()
    throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `codec ${id} defines no decodeUplink function`)
  }
  const hasEncoder = has('encodeDownlink')

  function dispose (): void {
    if (world === undefined) return
    world.call.dispose()
    world.vm.dispose()
    world.rt.dispose()
    world = undefined
  }

  /** A stopped call may leave the codec's heap half-built: rebuild its world from the source. */
  function rebuild (): void {
    dispose()
    restarts++
    world = build()
  }

  function invoke (name: string, input: unknown): unknown {
    if (world === undefined) throw new MimamoriError('MIMAMORI_ERR_CLOSED', `codec ${id} is disposed`)
    const { vm, call } = world
    const args = [vm.newString(name), vm.newString(JSON.stringify(input)), vm.newNumber(limits.maxResultBytes)]
    deadline = Date.now() + limits.cpuMs
    let text = 'null'
    let failure: MimamoriError | undefined
    try {
      const r = vm.callFunction(call, vm.undefined, ...args)
      if (r.error !== undefined) {
        failure = describe(vm, r.error)
        r.error.dispose()
      } else {
        if (vm.typeof(r.value) === 'string') text = vm.getString(r.value)
        r.value.dispose()
      }
    } finally {
      deadline = Number.POSITIVE_INFINITY
      for (const a of args) a.dispose()
    }
    if (failure !== undefined) {
      if (failure.code !== 'MIMAMORI_ERR_CODEC_THREW') rebuild()
      throw failure
    }
    return parseResult(id, text, limits.maxResultBytes)
  }

  return {
    id,
    hasEncoder,
    get restarts () { return restarts },
    decodeUplink (input) {
      const payload = { bytes: Array.from(input.bytes), fPort: input.fPort, recvTime: input.recvTime?.getTime() }
      return invoke('decodeUplink', payload) as DecodeResult
    },
    encodeDownlink (input) {
      if (!hasEncoder) throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `codec ${id} has no encodeDownlink`)
      return invoke('encodeDownlink', input) as EncodeResult
    },
    dispose
  }
}

/** Keys that would reach a prototype if the host ever merged the result into an object. */
const POISON = new Set(['__proto__', 'constructor', 'prototype'])

function parseResult (id: string, text: string, cap: number): unknown {
  if (text.length > cap) throw new MimamoriError('MIMAMORI_ERR_CODEC_RESULT', `codec ${id} result is ${text.length} characters (limit ${cap})`)
  let out: unknown
  try {
    out = JSON.parse(text, (k, v: unknown) => POISON.has(k) ? undefined : v)
  } catch {
    throw new MimamoriError('MIMAMORI_ERR_CODEC_RESULT', `codec ${id} result is not JSON`)
  }
  if (out !== null && typeof out === 'object' && '__mimamori' in out) {
    const m = out as { __mimamori: string, length?: number }
    if (m.__mimamori === 'toolarge') throw new MimamoriError('MIMAMORI_ERR_CODEC_RESULT', `codec ${id} result is ${m.length ?? '?'} characters (limit ${cap})`)
    throw new MimamoriError('MIMAMORI_ERR_CODEC_LOAD', `codec ${id} does not define the called function`)
  }
  if (out === null || typeof out !== 'object' || Array.isArray(out)) throw new MimamoriError('MIMAMORI_ERR_CODEC_RESULT', `codec ${id} did not return an object`)
  return out
}

/** An exception from inside the sandbox, as a coded error (never the codec's object itself). */
function describe (vm: QuickJSContext, handle: QuickJSHandle): MimamoriError {
  let name = ''
  let message = ''
  try {
    const d = vm.dump(handle) as unknown
    if (d !== null && typeof d === 'object') {
      name = String((d as { name?: unknown }).name ?? '')
      message = String((d as { message?: unknown }).message ?? '')
    } else {
      message = String(d)
    }
  } catch {
    message = 'unreadable exception'
  }
  message = message.slice(0, 200)
  const code: ErrorCode = /interrupted/i.test(message)
    ? 'MIMAMORI_ERR_CODEC_TIMEOUT'
    : /out of memory/i.test(message) || (name === 'InternalError' && /stack overflow/i.test(message)) ? 'MIMAMORI_ERR_CODEC_MEMORY' : 'MIMAMORI_ERR_CODEC_THREW'
  return new MimamoriError(code, `${name !== '' ? name + ': ' : ''}${message}`)
}
