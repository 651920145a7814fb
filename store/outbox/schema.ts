import { definePart } from '../parts.js'

/**
 * The durable outbox of the InfluxDB backend (store/outbox/outbox.ts): a reading is committed here
 * before the MQTT ack and drained later. Delivered rows stay a while as the (station, time) duplicate ledger.
 */
export const OUTBOX_PART = definePart('outbox', [
  `CREATE TABLE outbox (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     station_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     doc TEXT NOT NULL,
     enqueued_at INTEGER NOT NULL,
     state INTEGER NOT NULL DEFAULT 0,
     attempts INTEGER NOT NULL DEFAULT 0,
     delivered_at INTEGER,
     error TEXT,
     UNIQUE (station_id, time)
   );
   CREATE INDEX outbox_by_state ON outbox (state, id);`
])
