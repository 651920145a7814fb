import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseTelegram } from '../../official/parse-telegram.js'
import { parseSafeXml } from '../../official/safe-xml.js'
import { parseFeed } from '../../official/parse-feed.js'
import { hostile, minimalTelegram } from '../helpers/official.js'

const dir = mkdtempSync(join(tmpdir(), 'mimamori-xxe-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

function codeOf (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return (err as { code?: string }).code }
  return undefined
}

describe('safe XML guard', () => {
  it('a minimal well-formed telegram passes', () => {
    expect(parseTelegram(minimalTelegram()).head.infoKind).toBe('土砂災害警戒情報')
  })

  it('billion laughs is refused before any expansion', () => {
    expect(codeOf(() => parseTelegram(hostile.billionLaughs()))).toBe('MIMAMORI_ERR_OFFICIAL_DTD')
  })

  it('an external entity pointing at a local file is refused and the file never read into the result', () => {
    const secret = join(dir, 'secret.txt')
    writeFileSync(secret, 'TOP-SECRET')
    let thrown: unknown
    try { parseTelegram(hostile.externalEntity(secret)) } catch (err) { thrown = err }
    expect((thrown as { code: string }).code).toBe('MIMAMORI_ERR_OFFICIAL_DTD')
    expect(JSON.stringify(thrown)).not.toContain('TOP-SECRET')
  })

  it('an undeclared named entity (an HTML one) is refused', () => {
    expect(codeOf(() => parseTelegram(minimalTelegram().replace('<Serial>1</Serial>', '<Serial>&nbsp;1</Serial>')))).toBe('MIMAMORI_ERR_OFFICIAL_DTD')
  })

  it('a 50 MB document is refused by size', () => {
    expect(codeOf(() => parseTelegram(hostile.huge(50 * 1024 * 1024)))).toBe('MIMAMORI_ERR_OFFICIAL_TOO_LARGE')
  })

  it('a truncated telegram is refused as malformed', () => {
    const t = minimalTelegram()
    expect(codeOf(() => parseTelegram(t.slice(0, Math.floor(t.length * 0.7))))).toBe('MIMAMORI_ERR_OFFICIAL_MALFORMED')
  })

  it('invalid UTF-8 is refused as malformed', () => {
    const bytes = Buffer.concat([Buffer.from(minimalTelegram().slice(0, 200)), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from(minimalTelegram().slice(200))])
    expect(codeOf(() => parseTelegram(bytes))).toBe('MIMAMORI_ERR_OFFICIAL_MALFORMED')
  })

  it('a wrong namespace, a wrong root and an Atom feed given as a telegram are refused', () => {
    expect(codeOf(() => parseTelegram(hostile.wrongNamespace()))).toBe('MIMAMORI_ERR_OFFICIAL_NAMESPACE')
    expect(codeOf(() => parseTelegram('<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>'))).toBe('MIMAMORI_ERR_OFFICIAL_NAMESPACE')
    expect(codeOf(() => parseFeed(minimalTelegram()))).toBe('MIMAMORI_ERR_OFFICIAL_NAMESPACE')
    expect(codeOf(() => parseSafeXml('<feed xmlns="http://example.com/"/>', { expect: 'feed' }))).toBe('MIMAMORI_ERR_OFFICIAL_NAMESPACE')
  })

  it('a JMA telegram of a kind not followed is refused as unsupported', () => {
    expect(codeOf(() => parseTelegram(minimalTelegram().replace('<InfoKind>土砂災害警戒情報</InfoKind>', '<InfoKind>震度速報</InfoKind>')))).toBe('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED')
  })
})
