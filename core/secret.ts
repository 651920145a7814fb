import { randomBytes } from 'node:crypto'

/**
 * A random secret as base64url, drawn again while it starts with '-': people
 * paste these after `--password` and `mosquitto_pub -P`, where a leading dash
 * reads as an option (one draw in 64 did). The 63/64 first-character bias
 * costs under 0.03 bits.
 */
export function randomSecret (bytes = 24): string {
  for (;;) {
    const secret = randomBytes(bytes).toString('base64url')
    if (!secret.startsWith('-')) return secret
  }
}
