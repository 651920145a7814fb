import { definePart } from '../store/parts.js'

/**
 * The broker's device registry (broker/registry.ts): MQTT accounts, devices and service accounts;
 * secrets only as scrypt hashes.
 */
export const BROKER_PART = definePart('broker', [
  `CREATE TABLE mqtt_accounts (
     id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     kind TEXT,
     station_id TEXT,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     rotated_at INTEGER,
     revoked_at INTEGER,
     last_seen INTEGER
   );`
])
