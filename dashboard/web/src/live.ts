import type { AlertEvent } from './alerts-api.js'
import type { CameraImageEvent, SightingView, StationView, StatusChange } from './types.js'

export type LiveState = 'connecting' | 'live' | 'reconnecting'

export interface LiveHandlers {
  reading(station: StationView): void
  statusChange(change: StatusChange): void
  cameraImage(image: CameraImageEvent): void
  /** an alert was created or changed state (alerts.ts) */
  alert?(event: AlertEvent): void
  /** a monkey sighting at a camera (ingest/wildlife) */
  sighting?(sighting: SightingView): void
  /** a device was commissioned, revised, put in maintenance or retired (fleet page): reload stations and cameras */
  fleetChange?(): void
  state(state: LiveState): void
  /** the stream came back after a gap: events may have been missed, reload the snapshot */
  resync(): void
}

const MIN_RETRY_MS = 1_000
const MAX_RETRY_MS = 30_000

/**
 * One EventSource on /api/events. The browser retries by itself after a
 * network drop (the server sends `retry: 3000`); when it gives up (readyState
 * CLOSED, e.g. after an HTTP error from a proxy) we open a new one with back-off.
 */
export function connectLive (url: string, handlers: LiveHandlers): { close(): void } {
  let source: EventSource | undefined
  let retryMs = MIN_RETRY_MS
  let timer: ReturnType<typeof setTimeout> | undefined
  let hadGap = false
  let closed = false

  function parse<T> (event: Event, accept: (data: T) => void): void {
    try {
      const data = JSON.parse((event as MessageEvent<string>).data) as T
      if (data !== null && typeof data === 'object') accept(data)
    } catch {
      // a malformed event must not stop the others
    }
  }

  function open (): void {
    if (closed) return
    const es = new EventSource(url)
    source = es
    es.addEventListener('open', () => {
      retryMs = MIN_RETRY_MS
      handlers.state('live')
      if (hadGap) {
        hadGap = false
        handlers.resync()
      }
    })
    es.addEventListener('error', () => {
      hadGap = true
      handlers.state('reconnecting')
      if (es.readyState === EventSource.CLOSED) {
        es.close()
        clearTimeout(timer)
        timer = setTimeout(open, retryMs)
        retryMs = Math.min(retryMs * 2, MAX_RETRY_MS)
      }
    })
    es.addEventListener('reading', e => { parse<StationView>(e, d => { if (typeof d.id === 'string') handlers.reading(d) }) })
    es.addEventListener('statusChange', e => { parse<StatusChange>(e, d => { if (typeof d.stationId === 'string') handlers.statusChange(d) }) })
    es.addEventListener('cameraImage', e => { parse<CameraImageEvent>(e, d => { if (typeof d.cameraId === 'string') handlers.cameraImage(d) }) })
    es.addEventListener('sighting', e => { parse<SightingView>(e, d => { if (typeof d.id === 'string' && typeof d.cameraId === 'string') handlers.sighting?.(d) }) })
    es.addEventListener('fleetChange', () => { handlers.fleetChange?.() })
    es.addEventListener('alert', e => { parse<AlertEvent>(e, d => { if (typeof d.id === 'string' && typeof d.to === 'string') handlers.alert?.(d) }) })
  }

  handlers.state('connecting')
  open()
  return {
    close () {
      closed = true
      clearTimeout(timer)
      source?.close()
    }
  }
}
