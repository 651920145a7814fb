import type { EventBus } from '../../core/bus.js'
import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { LevelStatus } from '../../core/types.js'
import type { Store } from '../../store/store.js'
import type { IngestStats } from '../stats.js'

/** What every message handler may touch; built once by createIngest. */
export interface HandlerContext {
  config: Config
  logger: Logger
  bus: EventBus
  store: Store
  stats: IngestStats
  /** last MLIT band per station, to emit statusChange only on change */
  lastStatus: Map<string, LevelStatus>
  /** observation time behind lastStatus */
  lastTime: Map<string, number>
  /** camera frames go on to monkey detection (ingest/wildlife); absent in handler unit tests */
  wildlife?: import('../wildlife/index.js').Wildlife | undefined
  /** vendor codec plug-ins and device profiles (codecs/vendor); absent: only our frame is understood */
  codecs?: import('../../codecs/vendor/registry.js').DeviceCodecs | undefined
  /** LoRaWAN uplinks already stored (store/uplink-dedupe.ts); absent in handler unit tests */
  uplinks?: import('../../store/uplink-dedupe.js').UplinkDedupe | undefined
}
