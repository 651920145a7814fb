import { describe, expect, it } from 'vitest'
import { pino } from 'pino'
import type { Logger } from '../../core/logger.js'
import { loadConfig } from '../../core/config/load.js'
import { closeAll, runKind, startAll, type Component } from '../../cli/compose.js'
import { allInOneKind, clusterWorkerKind, dashboardKind, ingestKind } from '../../cli/kinds.js'

/** a logger whose lines are kept, to read the `shutdown step` order from */
function recordingLogger (): { logger: Logger, lines: Array<{ msg: string, step?: string }> } {
  const lines: Array<{ msg: string, step?: string }> = []
  const logger: Logger = pino({ level: 'info' }, { write: (s: string) => { lines.push(JSON.parse(s) as { msg: string, step?: string }) } })
  return { logger, lines }
}

/** components that write what happens to them into `events` */
function part (name: string, events: string[], { failStart = false, failClose = false } = {}): Component<{ started: string[] }> {
  return {
    name,
    start (ctx) {
      events.push(`start ${name}`)
      if (failStart) throw new Error(`${name} would not start`)
      ctx.started.push(name)
    },
    async close () {
      events.push(`close ${name}`)
      if (failClose) throw new Error(`${name} would not close`)
    }
  }
}

describe('compose: a process kind is one ordered list', () => {
  it('starts in list order and closes in the reverse one, logging each shutdown step', async () => {
    const { logger, lines } = recordingLogger()
    const events: string[] = []
    const ctx = { started: [] as string[] }
    const running = await startAll([part('a', events), part('b', events), part('c', events)], ctx, logger)
    expect(ctx.started).toEqual(['a', 'b', 'c'])
    expect(running.names).toEqual(['a', 'b', 'c'])
    await running.close()
    await running.close() // safe twice: nothing closes again
    expect(events).toEqual(['start a', 'start b', 'start c', 'close c', 'close b', 'close a'])
    expect(lines.filter(l => l.msg === 'shutdown step').map(l => l.step)).toEqual(['c', 'b', 'a'])
  })

  it('a failure mid-start closes what started, the failed one included, in reverse, and throws the start error', async () => {
    const { logger } = recordingLogger()
    const events: string[] = []
    const kind = [part('a', events), part('b', events), part('c', events, { failStart: true }), part('d', events)]
    await expect(startAll(kind, { started: [] }, logger)).rejects.toThrow('c would not start')
    expect(events).toEqual(['start a', 'start b', 'start c', 'close c', 'close b', 'close a'])
  })

  it('a failing close does not stop the others; it is logged as a failed step', async () => {
    const { logger, lines } = recordingLogger()
    const events: string[] = []
    await closeAll([part('c', events), part('b', events, { failClose: true }), part('a', events)], logger)
    expect(events).toEqual(['close c', 'close b', 'close a'])
    const failed = lines.filter(l => l.msg === 'shutdown step failed')
    expect(failed.map(l => l.step)).toEqual(['b'])
  })

  it('a close during start lets no further component start and closes the started ones', async () => {
    const { logger } = recordingLogger()
    const events: string[] = []
    let release: () => void = () => {}
    const slow: Component<{ started: string[] }> = {
      name: 'slow',
      async start () { events.push('start slow'); await new Promise<void>(resolve => { release = resolve }) },
      close () { events.push('close slow') }
    }
    const running = runKind([part('a', events), slow, part('c', events)], logger)
    const started = running.start({ started: [] })
    await new Promise(resolve => setImmediate(resolve))
    const closed = running.close()
    release()
    await expect(started).rejects.toMatchObject({ code: 'MIMAMORI_ERR_CLOSED' })
    await closed
    expect(events).toEqual(['start a', 'start slow', 'close slow', 'close a'])
  })
})

describe('the process kinds (cli/kinds.ts)', () => {
  const everything = loadConfig({ overrides: { official: { enabled: true }, sim: { enabled: true }, intake: { smtp: { enabled: true, port: 0 } } } })

  it('the all-in-one closes in the order docs/architecture.md gives: its list read backwards', () => {
    expect(allInOneKind(everything).map(c => c.name).reverse()).toEqual([
      'trail camera intake', 'dashboard', 'downlinks', 'webhook uplinks', 'demo fleet', 'ingest', 'official',
      'notifier', 'alerts', 'store', 'device registry', 'broker'
    ])
  })

  it('parts that are switched off are not in the list', () => {
    const plain = loadConfig({ overrides: { official: { enabled: false }, sim: { enabled: false }, intake: { smtp: { enabled: false, port: 0 }, http: { enabled: false, port: 0 } } } })
    expect(allInOneKind(plain).map(c => c.name)).toEqual([
      'broker', 'device registry', 'store', 'alerts', 'notifier', 'ingest', 'webhook uplinks', 'downlinks', 'dashboard'
    ])
  })

  it('the separate commands share the same components: the service closes first, then notifier, alerts, store', () => {
    expect(ingestKind(everything).map(c => c.name).reverse()).toEqual(['ingest', 'notifier', 'alerts', 'bus events', 'store'])
    expect(clusterWorkerKind(everything).map(c => c.name).reverse()).toEqual(['ingest', 'notifier', 'alerts', 'store'])
    expect(dashboardKind(everything).map(c => c.name).reverse()).toEqual(['dashboard', 'device registry', 'notifier', 'alerts', 'bus events', 'store'])
  })
})
