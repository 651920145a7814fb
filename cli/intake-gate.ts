import type { BrokerIntake } from '../broker/index.js'
import { MimamoriError } from '../core/errors.js'

/**
 * The all-in-one's broker listens before its in-process ingest has started (the broker is
 * first in the list so that it closes last, after ingest has settled what is in flight).
 * A device message that arrives in between waits here for ingest, and its PUBACK with it;
 * if ingest never comes (start failed, shutdown), it is refused and the device sends it again.
 */
export interface IntakeGate extends BrokerIntake {
  open(target: BrokerIntake): void
  shut(): void
}

export function createIntakeGate (): IntakeGate {
  let target: BrokerIntake | undefined
  let shut = false
  let waiters: Array<{ resolve: (t: BrokerIntake) => void, reject: (err: Error) => void }> = []
  const closed = (): MimamoriError => new MimamoriError('MIMAMORI_ERR_CLOSED', 'ingest is not running')
  return {
    async take (msg) {
      if (target !== undefined) return await target.take(msg)
      if (shut) throw closed()
      const t = await new Promise<BrokerIntake>((resolve, reject) => { waiters.push({ resolve, reject }) })
      await t.take(msg)
    },
    open (t) {
      target = t
      for (const w of waiters) w.resolve(t)
      waiters = []
    },
    shut () {
      shut = true
      target = undefined
      for (const w of waiters) w.reject(closed())
      waiters = []
    }
  }
}
