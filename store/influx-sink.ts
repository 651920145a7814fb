import { isIP } from 'node:net'
import { HttpError, InfluxDB, type SendOptions } from '@influxdata/influxdb-client'
import type { Config } from '../core/config/schema.js'
import type { Reading } from '../core/types.js'
import type { OutboxSink } from './outbox/drain.js'
import { detectionToLine, isDetectionPoint, readingToLine } from './influx-lines.js'

type InfluxConfig = Config['store']['influx']

/** the client's default threshold: bodies above this many bytes are gzipped when compression is on */
const GZIP_THRESHOLD = 1000

/**
 * Does the drain gzip its write bodies? `auto`: not when the database is on this machine or on a
 * private network (an IP literal in 127/8, ::1, 10/8, 172.16/12, 192.168/16, 169.254/16, fc00::/7,
 * fe80::/10, or `localhost`): there the bytes cost nothing and gzip costs CPU on both sides (in the
 * drain ≈ 7 µs per reading of a 5 000-line batch, bench/README.md § bench/ingest); a host name
 * that is not `localhost` may be anywhere, so it gets gzip.
 */
export function gzipWrites (cfg: Pick<InfluxConfig, 'url' | 'gzip'>): boolean {
  if (cfg.gzip !== 'auto') return cfg.gzip === 'on'
  let host: string
  try {
    host = new URL(cfg.url).hostname.replace(/^\[|\]$/g, '').toLowerCase()
  } catch {
    return true
  }
  return !isLocalHost(host)
}

function isLocalHost (host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true
  const kind = isIP(host)
  if (kind === 4) {
    const [a = 0, b = 0] = host.split('.').map(Number)
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254)
  }
  if (kind === 6) {
    if (host === '::1') return true
    // an IPv4-mapped address (the URL parser writes ::ffff:192.168.0.2 as ::ffff:c0a8:2)
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host)
    if (mapped !== null) {
      const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)]
      return isLocalHost(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`)
    }
    return /^f[cd][0-9a-f]{0,2}:/.test(host) || /^fe[89ab][0-9a-f]?:/.test(host)
  }
  return false
}

/**
 * The outbox's sink: one POST /api/v2/write per batch through the client library's transport
 * (auth header, timeout, keep-alive agent, HttpError), the body joined from lines we format
 * ourselves (store/influx-lines.ts). The client's WriteApi buffer is not used: it copied every
 * batch into its own buffer and retried on its own, and the outbox owns batching and retries.
 */
export function createInfluxSink (cfg: InfluxConfig): OutboxSink & { readonly gzip: boolean, close(): Promise<void> } {
  const client = new InfluxDB({ url: cfg.url, token: cfg.token === '' ? undefined : cfg.token, timeout: cfg.timeoutMs })
  const path = `/api/v2/write?org=${encodeURIComponent(cfg.org)}&bucket=${encodeURIComponent(cfg.bucket)}&precision=${cfg.precision}`
  const gzip = gzipWrites(cfg)
  const options: SendOptions = {
    method: 'POST',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    ...(gzip ? { gzipThreshold: GZIP_THRESHOLD } : {})
  }
  const post = async (body: string): Promise<void> => {
    await new Promise<void>((resolve, reject) => {
      let status = 0
      client.transport.send(path, body, options, {
        responseStarted: (_headers, code) => { status = code ?? 0 },
        next: () => {},
        error: reject,
        // as the client's WriteApi: only 204 means every line was written
        complete: () => {
          if (status === 204) resolve()
          else reject(new HttpError(status, `204 HTTP response status code expected, but ${status} returned`, undefined, '0'))
        }
      })
    })
  }
  return {
    gzip,
    encode (readings: Reading[]) {
      try {
        return readings.map(r => isDetectionPoint(r) ? detectionToLine(r.detection, cfg.detectionMeasurement, cfg.precision) : readingToLine(r, cfg.measurement, cfg.precision)).join('\n')
      } catch (err) {
        throw new UnwritableReading((err as Error).message)
      }
    },
    post,
    isContentError: err => err instanceof UnwritableReading || (err instanceof HttpError && (err.statusCode === 400 || err.statusCode === 422)),
    async close () {}
  }
}

class UnwritableReading extends Error {}
