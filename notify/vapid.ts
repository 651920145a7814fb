import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import webpush from 'web-push'
import { MimamoriError } from '../core/errors.js'

/**
 * The VAPID key pair: from config when given, else the one generated at first
 * start and kept in dataDir/vapid.json (mode 0600). Browsers bind a push
 * subscription to the public key, so it must not change between restarts.
 */
export function loadVapidKeys (configured: { vapidPublicKey: string, vapidPrivateKey: string }, dataDir: string): { publicKey: string, privateKey: string } {
  if (configured.vapidPublicKey !== '' && configured.vapidPrivateKey !== '') return { publicKey: configured.vapidPublicKey, privateKey: configured.vapidPrivateKey }
  const file = join(dataDir, 'vapid.json')
  try {
    const keys = JSON.parse(readFileSync(file, 'utf8')) as { publicKey?: unknown, privateKey?: unknown }
    if (typeof keys.publicKey === 'string' && typeof keys.privateKey === 'string') return { publicKey: keys.publicKey, privateKey: keys.privateKey }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new MimamoriError('MIMAMORI_ERR_NOTIFY_CONFIG', `cannot read ${file}: ${(err as Error).message}`, { cause: err })
  }
  const keys = webpush.generateVAPIDKeys()
  mkdirSync(dirname(file), { recursive: true })
  try {
    writeFileSync(file, JSON.stringify(keys), { mode: 0o600, flag: 'wx' })
  } catch (err) {
    // another process of this installation wrote its pair first: use that one
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadVapidKeys(configured, dataDir)
    throw new MimamoriError('MIMAMORI_ERR_NOTIFY_CONFIG', `cannot write ${file}: ${(err as Error).message}`, { cause: err })
  }
  chmodSync(file, 0o600)
  return keys
}
