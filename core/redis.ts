import { MimamoriError } from './errors.js'

/** `redis://[:password@]host:port[/db]` as ioredis constructor options. */
export function redisOptions (url: string): { host: string, port: number, password?: string, username?: string, db: number } {
  const u = new URL(url)
  if (u.protocol !== 'redis:') throw new MimamoriError('MIMAMORI_ERR_CONFIG', `broker.cluster.redisUrl must start with redis:// (got ${u.protocol})`)
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0
  return {
    host: u.hostname,
    port: u.port === '' ? 6379 : Number(u.port),
    db,
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) })
  }
}


/** Stream entry fields written by the broker and read by ingest/cluster. */
export const STREAM_FIELDS = { topic: 'topic', payload: 'payload', broker: 'broker', receivedAt: 't' } as const
