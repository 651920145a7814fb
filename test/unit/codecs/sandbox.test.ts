import { describe, expect, it } from 'vitest'
import { loadSandboxedCodec, DEFAULT_SANDBOX_LIMITS } from '../../../codecs/vendor/sandbox.js'
import { MimamoriError } from '../../../core/errors.js'

const GOOD = `function decodeUplink (input) { return { data: { n: input.bytes[0], port: input.fPort, t: input.recvTime.getTime() } } }`

function codeOf (fn: () => unknown): string {
  try { fn() } catch (err) { return err instanceof MimamoriError ? err.code : `not coded: ${String(err)}` }
  return 'no error'
}

describe('codec sandbox (QuickJS)', () => {
  it('decodes with plain ES5 helper functions and var, as TTN codecs are written', async () => {
    const c = await loadSandboxedCodec('es5', `var K = 2; function twice (x) { return x * K }
      function decodeUplink (input) { var d = {}; d.v = twice(input.bytes[1]); return { data: d, warnings: [] } }`)
    expect(c.decodeUplink({ bytes: [1, 21], fPort: 1 })).toEqual({ data: { v: 42 }, warnings: [] })
    expect(c.hasEncoder).toBe(false)
    c.dispose()
  })

  it('passes recvTime as a Date and keeps working across calls', async () => {
    const c = await loadSandboxedCodec('good', GOOD)
    for (let i = 0; i < 50; i++) expect(c.decodeUplink({ bytes: [i], fPort: 2, recvTime: new Date(1000 + i) })).toEqual({ data: { n: i, port: 2, t: 1000 + i } })
    c.dispose()
  })

  it('stops an endless loop with MIMAMORI_ERR_CODEC_TIMEOUT and still decodes the next uplink', async () => {
    const c = await loadSandboxedCodec('loop', `function decodeUplink (input) { if (input.bytes[0] === 1) { for (;;) {} } return { data: { ok: true } } }`)
    expect(codeOf(() => c.decodeUplink({ bytes: [1], fPort: 1 }))).toBe('MIMAMORI_ERR_CODEC_TIMEOUT')
    expect(c.restarts).toBe(1)
    expect(c.decodeUplink({ bytes: [0], fPort: 1 })).toEqual({ data: { ok: true } })
    c.dispose()
  })

  it('refuses a file that hangs while loading', async () => {
    await expect(loadSandboxedCodec('hang', 'while (true) {}')).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CODEC_TIMEOUT' })
  })

  it('has no require, process, fs, fetch or timers', async () => {
    const c = await loadSandboxedCodec('probe', `function decodeUplink () { return { data: {
      require: typeof require, process: typeof process, fetch: typeof fetch, setTimeout: typeof setTimeout,
      importScripts: typeof importScripts, module: typeof module, Buffer: typeof Buffer } } }`)
    expect(c.decodeUplink({ bytes: [], fPort: 1 }).data).toEqual({
      require: 'undefined', process: 'undefined', fetch: 'undefined', setTimeout: 'undefined', importScripts: 'undefined', module: 'undefined', Buffer: 'undefined'
    })
    c.dispose()
  })

  it("reports require('fs') and process.exit as a codec exception, and the host process lives on", async () => {
    const req = await loadSandboxedCodec('require', `function decodeUplink () { var fs = require('fs'); return { data: { f: fs.readFileSync('/etc/passwd', 'utf8') } } }`)
    expect(codeOf(() => req.decodeUplink({ bytes: [], fPort: 1 }))).toBe('MIMAMORI_ERR_CODEC_THREW')
    const exit = await loadSandboxedCodec('exit', 'function decodeUplink () { process.exit(1); return { data: {} } }')
    expect(codeOf(() => exit.decodeUplink({ bytes: [], fPort: 1 }))).toBe('MIMAMORI_ERR_CODEC_THREW')
    await expect(loadSandboxedCodec('exit-at-load', 'process.exit(1)')).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CODEC_LOAD' })
    req.dispose(); exit.dispose()
  })

  it('stops a 100 MB result at the memory limit, and a large one at the result cap', async () => {
    const big = await loadSandboxedCodec('big', `function decodeUplink (input) {
      if (input.fPort === 1) { var s = 'x'; while (s.length < 100 * 1024 * 1024) s += s; return { data: { s: s } } }
      if (input.fPort === 2) { var a = []; for (var i = 0; i < 20000; i++) a.push('abcdefgh'); return { data: { a: a } } }
      return { data: { small: 1 } } }`)
    expect(codeOf(() => big.decodeUplink({ bytes: [], fPort: 1 }))).toBe('MIMAMORI_ERR_CODEC_MEMORY')
    expect(codeOf(() => big.decodeUplink({ bytes: [], fPort: 2 }))).toBe('MIMAMORI_ERR_CODEC_RESULT')
    expect(big.decodeUplink({ bytes: [], fPort: 3 })).toEqual({ data: { small: 1 } })
    big.dispose()
  })

  it('stops runaway recursion', async () => {
    const c = await loadSandboxedCodec('deep', 'function f (n) { return f(n + 1) + 1 } function decodeUplink () { return { data: { v: f(0) } } }')
    expect(['MIMAMORI_ERR_CODEC_MEMORY', 'MIMAMORI_ERR_CODEC_THREW']).toContain(codeOf(() => c.decodeUplink({ bytes: [], fPort: 1 })))
    c.dispose()
  })

  it('keeps prototype pollution inside the sandbox', async () => {
    const c = await loadSandboxedCodec('pollute', `Object.prototype.isAdmin = true; Array.prototype.polluted = 1;
      JSON.parse = function () { return { hijacked: true } }; JSON.stringify = function () { return '{"hijacked":true}' };
      function decodeUplink () { var o = JSON.parse('x'); var d = {}; d['__proto__'] = { isAdmin: true }; return { data: { inside: ({}).isAdmin, constructor: { prototype: { x: 1 } }, nested: { __proto__: { y: 1 } } } } }`)
    const out = c.decodeUplink({ bytes: [], fPort: 1 })
    expect(out).toEqual({ data: { inside: true, nested: {} } })
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined()
    expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'isAdmin')).toBe(false)
    expect(Object.getPrototypeOf(out.data)).toBe(Object.prototype)
    expect(Object.assign({}, out.data?.nested)).toEqual({})
    c.dispose()
  })

  it('refuses a file with a syntax error or no decodeUplink', async () => {
    await expect(loadSandboxedCodec('syntax', 'function decodeUplink( {')).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CODEC_LOAD' })
    await expect(loadSandboxedCodec('none', 'var x = 1')).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CODEC_LOAD' })
  })

  it('runs encodeDownlink when the codec has one', async () => {
    const c = await loadSandboxedCodec('enc', 'function decodeUplink () { return { data: {} } } function encodeDownlink (input) { return { bytes: [input.data.n], fPort: 3 } }')
    expect(c.hasEncoder).toBe(true)
    expect(c.encodeDownlink({ data: { n: 7 } })).toEqual({ bytes: [7], fPort: 3 })
    c.dispose()
  })

  it('has sane defaults', () => {
    expect(DEFAULT_SANDBOX_LIMITS.cpuMs).toBeGreaterThan(0)
  })
})
