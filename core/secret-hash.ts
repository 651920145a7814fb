import { createHmac, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { randomSecret } from './secret.js'

/**
 * Human passwords (dashboard users): stored only as an scrypt hash (node:crypto,
 * memory-hard) in a self-describing string `scrypt$N$r$p$salt$hash` so the cost can
 * be raised later without a migration.
 *
 * Generated device and service secrets (192 random bits) need no memory-hard hash:
 * nobody can enumerate 2^192 candidates however fast each one is, so they are stored
 * as `sha256$salt$HMAC-SHA256(salt, secret)` (as the API tokens), verified in about a
 * microsecond instead of 40–80 ms of scrypt CPU per CONNECT (issue 23: a reconnect
 * storm of 100 000 gauges cost one to two CPU-hours). Accounts stored in the older
 * scrypt form still verify; the broker rewrites them on their next good CONNECT.
 */
const DEFAULT_COST = { N: 16_384, r: 8, p: 1 }
const KEY_BYTES = 32
const SALT_BYTES = 16

/** 24 random bytes as base64url: 192 bits, safe in a shell, after a CLI option and in firmware config. */
export function generateSecret (): string {
  return randomSecret(24)
}

async function derive (secret: string, salt: Buffer, cost: ScryptOptions): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, { ...cost, maxmem: 64 * 1024 * 1024 }, (err, key) => { err === null ? resolve(key) : reject(err) })
  })
}

export async function hashSecret (secret: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES)
  const key = await derive(secret, salt, DEFAULT_COST)
  return ['scrypt', DEFAULT_COST.N, DEFAULT_COST.r, DEFAULT_COST.p, salt.toString('base64'), key.toString('base64')].join('$')
}

/** A real hash of nothing, verified against when the account does not exist, so timing does not tell. */
let dummy: Promise<string> | undefined
export async function dummyHash (): Promise<string> {
  dummy ??= hashSecret(generateSecret())
  return await dummy
}

const FAST = 'sha256'

/** the fast form of a generated (random, ≥ 128-bit) secret; never for a human password */
export function hashGeneratedSecret (secret: string): string {
  const salt = randomBytes(SALT_BYTES)
  return [FAST, salt.toString('base64'), keyed(salt, secret).toString('base64')].join('$')
}

function keyed (salt: Buffer, secret: string): Buffer {
  return createHmac('sha256', salt).update(secret).digest()
}

/** true for the fast form of hashGeneratedSecret; false for scrypt (or anything else) */
export function isFastHash (stored: string): boolean {
  return stored.startsWith(FAST + '$')
}

/** A fast-form hash of nothing, checked against when an account does not exist. */
const dummyFast = hashGeneratedSecret(randomSecret(24))
export function dummyFastHash (): string { return dummyFast }

/** synchronous check of the fast form; false for any other form */
export function verifyFastSecret (secret: string, stored: string): boolean {
  const parts = stored.split('$')
  if (parts.length !== 3 || parts[0] !== FAST) return false
  const expected = Buffer.from(parts[2]!, 'base64')
  const actual = keyed(Buffer.from(parts[1]!, 'base64'), secret)
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** either form: the fast one synchronously, scrypt on the libuv pool */
export async function verifyAnySecret (secret: string, stored: string): Promise<boolean> {
  return isFastHash(stored) ? verifyFastSecret(secret, stored) : await verifySecret(secret, stored)
}

export async function verifySecret (secret: string, stored: string): Promise<boolean> {
  const parts = stored.split('$')
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string]
  const expected = Buffer.from(hash, 'base64')
  const actual = await derive(secret, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) })
  return actual.length === expected.length && timingSafeEqual(actual, expected)
}

/** A URL fit for a log line: `mqtt://user:secret@host` → `mqtt://user:***@host`; not a URL → as is. */
export function redactUrl (url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    return url
  }
  if (u.password === '') return url
  u.password = '***'
  return u.toString()
}
