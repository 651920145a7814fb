import { describe, expect, it } from 'vitest'
import { createEventBus, type BusEventName, type BusEvents } from '../../core/bus.js'

const rejected: BusEvents['rejected'] = { code: 'MIMAMORI_ERR_BAD_FRAME', source: 'g1', message: 'empty frame', time: 0 }

describe('event bus', () => {
  it('delivers typed payloads to every listener', () => {
    const bus = createEventBus()
    const seen: string[] = []
    bus.on('rejected', {}, p => seen.push(`a:${p.code}`))
    bus.on('rejected', {}, p => seen.push(`b:${p.source}`))
    bus.emit('rejected', rejected)
    expect(seen).toEqual(['a:MIMAMORI_ERR_BAD_FRAME', 'b:g1'])
  })

  it('isolates a throwing listener: emit does not throw, later listeners still run, the error is reported', () => {
    const errors: Array<{ err: unknown, event: BusEventName }> = []
    const bus = createEventBus({ onListenerError: (err, event) => errors.push({ err, event }) })
    const boom = new Error('broken SSE client')
    let delivered = 0
    bus.on('rejected', {}, () => { throw boom })
    bus.on('rejected', {}, () => { delivered++ })
    expect(() => bus.emit('rejected', rejected)).not.toThrow()
    expect(delivered).toBe(1)
    expect(errors).toEqual([{ err: boom, event: 'rejected' }])
  })

  it('swallows listener errors when no reporter is given', () => {
    const bus = createEventBus()
    bus.on('rejected', {}, () => { throw new Error('x') })
    expect(() => bus.emit('rejected', rejected)).not.toThrow()
  })

  it('removeListeners(key) removes only that key\'s listeners, across events', () => {
    const bus = createEventBus()
    const dashboard = {}
    const metrics = {}
    const seen: string[] = []
    bus.on('rejected', dashboard, () => seen.push('dashboard'))
    bus.on('deviceStatus', dashboard, () => seen.push('dashboard-status'))
    bus.on('rejected', metrics, () => seen.push('metrics'))
    expect(bus.listenerCount('rejected')).toBe(2)

    bus.removeListeners(dashboard)
    expect(bus.listenerCount('rejected')).toBe(1)
    expect(bus.listenerCount('deviceStatus')).toBe(0)
    bus.emit('rejected', rejected)
    bus.emit('deviceStatus', { kind: 'gauge', deviceId: 'g1', online: true, time: 0 })
    expect(seen).toEqual(['metrics'])

    // removing twice or an unknown key is harmless, so close() may be called again
    bus.removeListeners(dashboard)
    bus.removeListeners({})
    expect(bus.listenerCount('rejected')).toBe(1)
  })

  it('does not warn with more listeners than Node\'s default of 10', async () => {
    const bus = createEventBus()
    const warnings: Error[] = []
    const onWarning = (w: Error): void => { warnings.push(w) }
    process.on('warning', onWarning)
    for (let i = 0; i < 20; i++) bus.on('reading', {}, () => undefined)
    // Node emits the warning on a later tick
    await new Promise(resolve => setImmediate(resolve))
    process.off('warning', onWarning)
    expect(bus.listenerCount('reading')).toBe(20)
    expect(warnings.filter(w => w.name === 'MaxListenersExceededWarning')).toEqual([])
  })
})
