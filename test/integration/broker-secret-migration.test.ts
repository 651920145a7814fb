import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createDeviceRegistry } from '../../broker/registry.js'
import { silentLogger } from '../../core/logger.js'
import { REPO_ROOT } from '../helpers/app.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hashSecret } from '../../core/secret-hash.js'
import { openDatabase } from '../../store/db.js'
import { connectAs, refusal, startTestBroker, type TestBroker } from '../helpers/broker.js'

/**
 * Issue 23: device secrets are stored in a fast keyed-hash form; accounts written
 * before (scrypt) still connect and are rewritten at their first good CONNECT.
 */
describe('broker: device secrets in the old scrypt form', () => {
  let t: TestBroker
  let oldSecret: string
  let newSecret: string
  const storedOf = (id: string): string => {
    const dbh = openDatabase(join(t.dataDir, t.config.store.file))
    const db = dbh.db
    try {
      return (db.prepare('SELECT secret_hash FROM mqtt_accounts WHERE id = ?').get(id) as { secret_hash: string }).secret_hash
    } finally { dbh.release() }
  }

  beforeAll(async () => {
    t = await startTestBroker({ broker: { limits: { authFailures: 100 } } })
    oldSecret = (await t.registry.add({ id: 'gauge-old', role: 'device', kind: 'gauge' })).secret
    newSecret = (await t.registry.add({ id: 'gauge-new', role: 'device', kind: 'gauge' })).secret
    // as a registry written before issue 23 holds it
    const dbh = openDatabase(join(t.dataDir, t.config.store.file))
    const db = dbh.db
    db.prepare('UPDATE mqtt_accounts SET secret_hash = ? WHERE id = ?').run(await hashSecret(oldSecret), 'gauge-old')
    dbh.release()
  })
  afterAll(async () => { await t?.close() })

  it('stores new secrets in the fast form', () => {
    expect(storedOf('gauge-new')).toMatch(/^sha256\$/)
    expect(storedOf('gauge-old')).toMatch(/^scrypt\$/)
  })

  it('lets the old-form device connect and migrates it; it connects again with the same secret', async () => {
    const before = t.broker.counters.authChecks.migrated
    const c = await connectAs(t.url, { clientId: 'gauge-old', username: 'gauge-old', password: oldSecret })
    await c.endAsync()
    expect(t.broker.counters.authChecks.migrated).toBe(before + 1)
    expect(storedOf('gauge-old')).toMatch(/^sha256\$/)
    const again = await connectAs(t.url, { clientId: 'gauge-old', username: 'gauge-old', password: oldSecret })
    await again.endAsync()
    expect(t.broker.counters.authChecks.migrated).toBe(before + 1)
  })

  it('refuses a wrong secret for a known and an unknown id with the same answer after the same one full check', async () => {
    const wrongKnown = { clientId: 'gauge-new', username: 'gauge-new', password: 'not-the-secret' }
    const wrongUnknown = { clientId: 'gauge-nobody', username: 'gauge-nobody', password: 'not-the-secret' }
    let full = t.broker.counters.authChecks.full
    expect(await refusal(t.url, wrongKnown)).toBe(4)
    // one hash run for the known id: its stored form, no shortcut
    expect(t.broker.counters.authChecks.full).toBe(full + 1)
    full = t.broker.counters.authChecks.full
    expect(await refusal(t.url, wrongUnknown)).toBe(4)
    // and one for the unknown id: a dummy hash of the same (fast) form, since no old form is left
    expect(t.broker.counters.authChecks.full).toBe(full + 1)
    expect(t.registry.legacyCount()).toBe(0)
    // the right secret still works after the refusals
    expect(await refusal(t.url, { clientId: 'gauge-new', username: 'gauge-new', password: newSecret })).toBeUndefined()
  })

  it('migrates old-form entries from a list of secrets (mimamori device migrate-secrets) and refuses a wrong one', async () => {
    const other = (await t.registry.add({ id: 'gauge-old2', role: 'device', kind: 'gauge' })).secret
    const dbh = openDatabase(join(t.dataDir, t.config.store.file))
    const db = dbh.db
    db.prepare('UPDATE mqtt_accounts SET secret_hash = ? WHERE id = ?').run(await hashSecret(other), 'gauge-old2')
    dbh.release()
    const third = (await t.registry.add({ id: 'gauge-old3', role: 'device', kind: 'gauge' })).secret
    const db2h = openDatabase(join(t.dataDir, t.config.store.file))
    const db2 = db2h.db
    db2.prepare('UPDATE mqtt_accounts SET secret_hash = ? WHERE id = ?').run(await hashSecret(third), 'gauge-old3')
    db2h.release()
    const result = await t.registry.migrate([
      { id: 'gauge-old2', secret: other },
      { id: 'gauge-old3', secret: 'wrong' },
      { id: 'gauge-new', secret: newSecret },
      { id: 'ghost', secret: 'x' }
    ])
    expect(result).toEqual({ migrated: 1, alreadyFast: 1, mismatched: ['gauge-old3'], unknown: ['ghost'] })
    expect(storedOf('gauge-old2')).toMatch(/^sha256\$/)
    expect(storedOf('gauge-old3')).toMatch(/^scrypt\$/)
    expect(t.registry.legacyCount()).toBe(1)
    // both still connect, the old-form one through scrypt
    expect(await refusal(t.url, { clientId: 'gauge-old2', username: 'gauge-old2', password: other })).toBeUndefined()
    expect(await refusal(t.url, { clientId: 'gauge-old3', username: 'gauge-old3', password: third })).toBeUndefined()
    expect(storedOf('gauge-old3')).toMatch(/^sha256\$/)
  })
})

describe('mimamori device migrate-secrets (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mimamori-migrate-cli-'))
  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })
  const cli = (...args: string[]): string => execFileSync(process.execPath, [join(REPO_ROOT, 'dist', 'cli', 'main.js'), 'device', ...args], { env: { ...process.env, MIMAMORI_DATA_DIR: dir }, encoding: 'utf8' })

  it('counts old-form entries and migrates those whose secret is given in an id,secret file', async () => {
    const a = JSON.parse(cli('add', '--kind', 'gauge', '--id', 'gauge-m1', '--json')) as { password: string }
    cli('add', '--kind', 'gauge', '--id', 'gauge-m2', '--json')
    const file = join(dir, 'mimamori.db')
    const dbh = openDatabase(file)
    const db = dbh.db
    db.prepare("UPDATE mqtt_accounts SET secret_hash = ? WHERE id IN ('gauge-m1', 'gauge-m2')").run(await hashSecret('whatever-it-was'))
    db.prepare('UPDATE mqtt_accounts SET secret_hash = ? WHERE id = ?').run(await hashSecret(a.password), 'gauge-m1')
    dbh.release()
    expect(JSON.parse(cli('migrate-secrets', '--json'))).toMatchObject({ migrated: 0, legacyLeft: 2 })
    const list = join(dir, 'secrets.csv')
    writeFileSync(list, `# id,secret\ngauge-m1,${a.password}\n`)
    expect(JSON.parse(cli('migrate-secrets', '--credentials', list, '--json'))).toMatchObject({ migrated: 1, legacyLeft: 1 })
    const registry = createDeviceRegistry({ file, logger: silentLogger() })
    try {
      expect(registry.legacyCount()).toBe(1)
      expect((await registry.verify('gauge-m1', a.password))?.account.id).toBe('gauge-m1')
    } finally { registry.close() }
  })
})
