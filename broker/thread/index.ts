import { availableParallelism } from 'node:os'
import type { Config } from '../../core/config/schema.js'
import { createBroker, type Broker, type BrokerDeps } from '../index.js'
import { createThreadedBroker, type ThreadedBrokerDeps } from './host.js'

export { createThreadedBroker, type ThreadedBroker } from './host.js'

/** broker.thread: 'on' / 'off' as told; 'auto' = a thread of its own when the machine has a second core */
export function brokerThreaded (config: Pick<Config, 'broker'>, cores = availableParallelism()): boolean {
  const mode = config.broker.thread
  return mode === 'on' || (mode === 'auto' && cores >= 2)
}

/**
 * The all-in-one's broker: in its own worker thread (broker/thread/host.ts) or in this
 * event loop (broker/index.ts), behind the same Broker interface either way.
 */
export function createAppBroker (deps: ThreadedBrokerDeps & { config: BrokerDeps['config'] & Pick<Config, 'broker'> }): Broker {
  return brokerThreaded(deps.config) ? createThreadedBroker(deps) : createBroker(deps)
}
