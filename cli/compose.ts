import type { Logger } from '../core/logger.js'
import { MimamoriError } from '../core/errors.js'

/**
 * One part of a process: built and started by `start` (which may read what earlier
 * components put into the process's context and add its own), closed by `close`.
 * `close` must cope with a `start` that failed half-way: it closes what was built.
 */
export interface Component<C> {
  /** the step name in the `shutdown step` log lines (docs/architecture.md, "Shutdown order") */
  readonly name: string
  start(ctx: C): Promise<void> | void
  close(): Promise<void> | void
}

/** A process kind is an ordered list: started first to last, closed last to first. */
export type ProcessKind<C> = ReadonlyArray<Component<C>>

/** a process kind being run: closes exactly the components that started, in reverse; close is safe to call twice */
export interface Running<C> {
  /** names of the components started so far (the one starting included), in list order */
  readonly names: readonly string[]
  start(ctx: C): Promise<void>
  close(): Promise<void>
}

/**
 * Runs a process kind. `start` starts the components in list order; when one fails, the ones
 * started before it and the failed one itself (which may hold half of what it built) are closed
 * in reverse order and the start error is thrown. `close` may come at any time, during start too:
 * no further component starts then.
 */
export function runKind<C> (kind: ProcessKind<C>, logger: Logger): Running<C> {
  const started: Array<Component<C>> = []
  let closing: Promise<void> | undefined
  const running: Running<C> = {
    get names () { return started.map(c => c.name) },
    async start (ctx) {
      for (const component of kind) {
        if (closing !== undefined) throw new MimamoriError('MIMAMORI_ERR_CLOSED', `closed while starting, before ${component.name}`)
        started.push(component)
        try {
          await component.start(ctx)
        } catch (err) {
          await running.close()
          throw err
        }
      }
    },
    async close () {
      closing ??= closeAll([...started].reverse(), logger)
      await closing
    }
  }
  return running
}

/** runKind + start: the running kind, or the start error once what started is closed again */
export async function startAll<C> (kind: ProcessKind<C>, ctx: C, logger: Logger): Promise<Running<C>> {
  const running = runKind(kind, logger)
  await running.start(ctx)
  return running
}

/**
 * Closes the components in the order given, each step attempted even when an earlier one
 * failed: a stuck dashboard must not keep readings unflushed or the broker port bound.
 */
export async function closeAll<C> (components: ReadonlyArray<Component<C>>, logger: Logger): Promise<void> {
  for (const component of components) {
    try {
      logger.info({ step: component.name }, 'shutdown step')
      await component.close()
    } catch (err) {
      logger.error({ err, step: component.name }, 'shutdown step failed')
    }
  }
  logger.flush()
}

/** a collaborator an earlier component must have put into the context (a wiring mistake otherwise) */
export function need<T> (value: T | undefined, what: string, by: string): T {
  if (value === undefined) throw new MimamoriError('MIMAMORI_ERR_INTERNAL', `${by} needs ${what}, started earlier in the list`)
  return value
}

/**
 * A component around one part with a close(): `build` makes it (and puts it where later components
 * find it), `run` then starts it. What `build` made is closed even when `run` failed half-way.
 */
export function componentOf<C, T extends { close(): unknown }> (name: string, build: (ctx: C) => Promise<T | undefined> | T | undefined, run?: (made: T, ctx: C) => Promise<void>): Component<C> {
  let made: T | undefined
  return {
    name,
    async start (ctx) {
      made = await build(ctx)
      if (made !== undefined) await run?.(made, ctx)
    },
    async close () { await made?.close() }
  }
}
