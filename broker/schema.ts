import type { PartSchema } from '../store/parts.js'

/**
 * The broker's device registry (broker/registry.ts): MQTT accounts, devices and service accounts;
 * secrets only as scrypt hashes.
 * Forward-only: append a migration, never edit one (store/parts.ts; DEVELOPERS.md "Adding a migration").
 */
export const BROKER_PART: PartSchema = {
  part: 'broker',
  migrations: [
    { version: 1, up: `CREATE TABLE mqtt_accounts (
     id TEXT PRIMARY KEY,
     role TEXT NOT NULL,
     kind TEXT,
     station_id TEXT,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     rotated_at INTEGER,
     revoked_at INTEGER,
     last_seen INTEGER
   );` }
  ]
}
