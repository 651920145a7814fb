import { definePart } from './parts.js'

/**
 * LoRaWAN uplinks already taken (store/uplink-dedupe.ts): the same frame heard through several
 * gateways, network servers or a webhook is stored once; pruned after lorawan.dedupeDays.
 */
export const UPLINKS_PART = definePart('uplinks', [
  `CREATE TABLE lorawan_uplinks (
     dev_eui TEXT NOT NULL,
     f_cnt INTEGER NOT NULL,
     digest TEXT NOT NULL,
     at INTEGER NOT NULL,
     via TEXT NOT NULL,
     PRIMARY KEY (dev_eui, f_cnt, digest)
   ) WITHOUT ROWID;
   CREATE INDEX lorawan_uplinks_by_time ON lorawan_uplinks (at);`
])
