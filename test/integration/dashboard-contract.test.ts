import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Value } from 'typebox/value'
import { ROLES as CORE_ROLES } from '../../core/roles.js'
import { ROLES as ACCESS_ROLES } from '../../dashboard/server/auth/access.js'
import { HunterSseEvents, MeBody, ROLES, SseEvents, UserBody } from '../../dashboard/contract/index.js'
import { startTestApp, type TestApp } from '../helpers/app.js'
import { addUser } from '../helpers/auth.js'

/**
 * The API contract (dashboard/contract): every API route the dashboard
 * registers declares a response schema, so OpenAPI at /docs describes every
 * route and the browser's types (Static of the same schemas) cannot drift.
 */
describe('dashboard API contract', () => {
  let t: TestApp
  let app: FastifyInstance

  beforeAll(async () => {
    t = await startTestApp()
    app = t.app.dashboard!.app
  })
  afterAll(async () => { await t?.close() })

  it('every registered API route declares a response schema', () => {
    const api = app.accessTable.filter(r => !r.hidden)
    expect(api.length).toBeGreaterThan(50)
    const without = api.filter(r => r.responses.length === 0).map(r => `${r.method} ${r.url}`)
    expect(without).toEqual([])
    // and a success status among them
    const noSuccess = api.filter(r => !r.responses.some(s => s.startsWith('2'))).map(r => `${r.method} ${r.url}`)
    expect(noSuccess).toEqual([])
  })

  it('OpenAPI describes every API route with a response body schema', async () => {
    const res = await app.inject({ method: 'GET', url: '/docs/json', headers: { authorization: `Bearer ${t.token}` } })
    expect(res.statusCode).toBe(200)
    const doc = res.json() as { paths: Record<string, Record<string, { responses?: Record<string, { content?: unknown, description?: string }> }>> }
    const described = new Set<string>()
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        described.add(`${method.toUpperCase()} ${path}`)
        const ok = Object.entries(op.responses ?? {}).filter(([code]) => code.startsWith('2'))
        expect(ok.length, `${method} ${path}`).toBeGreaterThan(0)
        // 204 has no body; any other success documents its body
        for (const [code, r] of ok) if (code !== '204') expect(r.content, `${method} ${path} ${code}`).toBeDefined()
      }
    }
    const openApiPath = (url: string): string => url.replace(/:([A-Za-z]+)/g, '{$1}')
    const missing = app.accessTable.filter(r => !r.hidden).map(r => `${r.method} ${openApiPath(r.url)}`).filter(k => !described.has(k))
    expect(missing).toEqual([])
  })

  it('the role list is declared once and shared by the contract and the access lists', () => {
    expect(ROLES).toBe(CORE_ROLES)
    expect(ACCESS_ROLES).toBe(CORE_ROLES)
  })

  it('SSE events are the bus events the dashboard forwards, each with a schema', () => {
    expect(Object.keys(SseEvents).sort()).toEqual(['alert', 'cameraImage', 'deviceStatus', 'fleetChange', 'reading', 'sighting', 'statusChange'])
    expect(Object.keys(HunterSseEvents)).toEqual(['wildlifeAlert'])
  })

  it('responses match their schemas (me, users)', async () => {
    await addUser(t.config, 'contract-staff', 'staff')
    const auth = { authorization: `Bearer ${t.token}` }
    const me = await app.inject({ method: 'GET', url: '/api/auth/me', headers: auth })
    expect(Value.Check(MeBody, me.json())).toBe(true)
    const users = await app.inject({ method: 'GET', url: '/api/admin/users', headers: auth })
    const list = users.json() as unknown[]
    expect(list.length).toBeGreaterThan(0)
    for (const u of list) expect(Value.Check(UserBody, u)).toBe(true)
  })
})
