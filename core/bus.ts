import { EventEmitter } from 'node:events'
import type { BusEvents } from './bus-events.js'

// the event map is types only, in its own file, so the API contract (and through it the browser) can derive from it
export type { BusEvents } from './bus-events.js'

export type BusEventName = keyof BusEvents
type Listener<K extends BusEventName> = (payload: BusEvents[K]) => void

export interface EventBus {
  on<K extends BusEventName>(event: K, key: object, listener: Listener<K>): void
  emit<K extends BusEventName>(event: K, payload: BusEvents[K]): void
  removeListeners(key: object): void
  listenerCount(event: BusEventName): number
}

export function createEventBus (options: { onListenerError?: (err: unknown, event: BusEventName) => void } = {}): EventBus {
  const emitter = new EventEmitter()
  // Many SSE clients subscribe through one dashboard listener, so this stays small;
  // the limit is raised only to keep Node from warning when several services listen.
  emitter.setMaxListeners(100)
  const byKey = new Map<object, Array<{ event: BusEventName, fn: (payload: unknown) => void }>>()

  return {
    on (event, key, listener) {
      // A throwing listener must not stop the emitter or the other listeners:
      // one broken SSE client may never cost a stored reading its events.
      const fn = (payload: unknown): void => {
        try {
          listener(payload as BusEvents[typeof event])
        } catch (err) {
          options.onListenerError?.(err, event)
        }
      }
      emitter.on(event, fn)
      const list = byKey.get(key) ?? []
      list.push({ event, fn })
      byKey.set(key, list)
    },
    emit (event, payload) {
      emitter.emit(event, payload)
    },
    removeListeners (key) {
      for (const { event, fn } of byKey.get(key) ?? []) emitter.off(event, fn)
      byKey.delete(key)
    },
    listenerCount (event) {
      return emitter.listenerCount(event)
    }
  }
}
