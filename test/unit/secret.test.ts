import { describe, expect, it } from 'vitest'
import { generateSecret, hashSecret, verifySecret } from '../../core/secret-hash.js'
import { randomSecret } from '../../core/secret.js'

describe('generated secrets', () => {
  // A plain base64url draw starts with '-' once in 64: in 20 000 draws that
  // happens with certainty, so this fails if the redraw is ever lost.
  it('never start with a dash (it would read as a CLI option after --password)', () => {
    const seen = new Set<string>()
    for (let i = 0; i < 20_000; i++) {
      const s = randomSecret(15)
      expect(s.startsWith('-'), s).toBe(false)
      expect(s).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{19}$/)
      seen.add(s)
    }
    expect(seen.size).toBe(20_000)
  })

  it('device secrets keep 192 bits and verify against their stored hash', async () => {
    const secret = generateSecret()
    expect(secret).toHaveLength(32)
    expect(secret.startsWith('-')).toBe(false)
    const stored = await hashSecret(secret)
    expect(await verifySecret(secret, stored)).toBe(true)
    expect(await verifySecret(secret.slice(1), stored)).toBe(false)
  })
})
