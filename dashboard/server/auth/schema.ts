import type { PartSchema } from '../../../store/parts.js'

/**
 * Dashboard accounts (dashboard/server/auth): users with a role, server-side sessions (idle and
 * absolute expiry), API tokens stored as SHA-256 of a 192-bit secret, and the audit log of every
 * action that changes state.
 * Forward-only: append a migration, never edit one (store/parts.ts; DEVELOPERS.md "Adding a migration").
 */
export const ACCOUNTS_PART: PartSchema = {
  part: 'accounts',
  migrations: [
    { version: 1, up: `CREATE TABLE users (
     id TEXT PRIMARY KEY,
     username TEXT NOT NULL UNIQUE COLLATE NOCASE,
     role TEXT NOT NULL,
     password_hash TEXT NOT NULL,
     hunter_id TEXT,
     disabled INTEGER NOT NULL DEFAULT 0,
     created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL
   );
   CREATE TABLE sessions (
     id TEXT PRIMARY KEY,
     user_id TEXT,
     doc TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     seen_at INTEGER NOT NULL
   );
   CREATE INDEX sessions_by_user ON sessions (user_id);
   CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY,
     user_id TEXT NOT NULL,
     name TEXT NOT NULL,
     secret_sha256 TEXT NOT NULL,
     scope TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL,
     last_used_at INTEGER,
     revoked INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE audit_log (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     at INTEGER NOT NULL,
     actor TEXT,
     role TEXT,
     via TEXT,
     ip TEXT,
     action TEXT NOT NULL,
     subject TEXT,
     detail TEXT NOT NULL
   );
   CREATE INDEX audit_log_by_time ON audit_log (at);` }
  ]
}
