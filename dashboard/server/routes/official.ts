import { resolve } from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import type { Config } from '../../../core/config/schema.js'
import { MimamoriError } from '../../../core/errors.js'
import { GUIDELINE_CRITERIA, validateCriteria } from '../../../core/official-criteria.js'
import { openDatabase } from '../../../store/db.js'
import { createOfficialRepository } from '../../../store/official.js'
import { ADMIN, READERS } from '../auth/access.js'
import { ErrorBody } from '../../contract/schemas.js'

/** JMA's terms ask for the source wherever its information is shown */
export const JMA_ATTRIBUTION = '出典：気象庁'

const Loose = Type.Record(Type.String(), Type.Unknown())
export const OfficialSuggestionBody = Type.Object({
  areaCode: Type.String(),
  areaName: Type.String(),
  level: Type.Integer(),
  since: Type.Union([Type.Number(), Type.Null()]),
  reasons: Type.Array(Loose),
  evaluatedAt: Type.Number()
})
export type OfficialSuggestionView = Static<typeof OfficialSuggestionBody>
const AreaParams = Type.Object({ area: Type.String({ pattern: '^[0-9]{7}$' }) })

/**
 * Official information (written by official/): per-area JMA state, the 判断補助 suggestions, the raw
 * telegram log, and the criteria admins edit (audited). Read from the shared database, so a separate
 * dashboard process shows what the process that polls JMA wrote.
 */
export const officialRoutes: FastifyPluginAsync<{ config: Config }> = async (fastify, { config }) => {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>()
  const handle = openDatabase(resolve(config.dataDir, config.store.file), { what: 'official information' })
  const repo = createOfficialRepository(handle.db)
  app.addHook('onClose', async () => { handle.release() })
  const areas = config.official.areas

  app.get('/api/official/state', {
    config: { access: READERS },
    schema: { response: { 200: Type.Object({ attribution: Type.String(), areas: Type.Array(Loose) }) } }
  }, async () => ({
    attribution: JMA_ATTRIBUTION,
    // the undo snapshot is internal to 取消/訂正 handling
    areas: repo.states().map(s => { const { prev: _prev, ...rest } = s.doc as Record<string, unknown>; return rest })
  }))

  // MLIT reference gauges (read-only, never ours): where the map draws them, apart from our stations
  app.get('/api/official/references', {
    config: { access: READERS },
    schema: { response: { 200: Type.Object({ attribution: Type.String(), references: Type.Array(Type.Object({ id: Type.String(), name: Type.String(), river: Type.String(), lat: Type.Number(), lon: Type.Number() })) }) } }
  }, async () => ({
    attribution: '参照: 国交省',
    references: config.official.referenceStations.map(r => ({ id: r.id, name: r.name, river: r.river, lat: r.lat, lon: r.lon }))
  }))

  app.get('/api/official/suggestions', {
    config: { access: READERS },
    schema: { response: { 200: Type.Object({ attribution: Type.String(), note: Type.String(), suggestions: Type.Array(OfficialSuggestionBody) }) } }
  }, async () => ({
    attribution: JMA_ATTRIBUTION,
    note: '判断補助: 提案であり、発令は職員が判断します / a suggestion; staff decide and issue',
    suggestions: repo.suggestions().map(s => s.doc as OfficialSuggestionView)
  }))

  app.get('/api/official/telegrams', {
    config: { access: READERS },
    schema: {
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })), before: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ attribution: Type.String(), telegrams: Type.Array(Loose) }) }
    }
  }, async (request) => ({
    attribution: JMA_ATTRIBUTION,
    telegrams: repo.telegrams({ limit: request.query.limit ?? 100, ...(request.query.before === undefined ? {} : { before: request.query.before }) })
  }))

  app.get('/api/official/criteria', {
    config: { access: READERS },
    schema: { response: { 200: Type.Array(Type.Object({ areaCode: Type.String(), areaName: Type.String(), criteria: Type.Array(Loose), guideline: Type.Boolean(), updatedAt: Type.Union([Type.Number(), Type.Null()]), updatedBy: Type.Union([Type.String(), Type.Null()]) })) } }
  }, async () => {
    const stored = new Map(repo.criteria().map(c => [c.areaCode, c]))
    return areas.map(a => {
      const c = stored.get(a.code)
      return { areaCode: a.code, areaName: a.name, criteria: (c?.doc ?? GUIDELINE_CRITERIA) as Array<Record<string, unknown>>, guideline: c === undefined, updatedAt: c?.updatedAt ?? null, updatedBy: c?.updatedBy ?? null }
    })
  })

  app.put('/api/official/criteria/:area', {
    config: { access: ADMIN, audit: 'official.criteria' },
    schema: { params: AreaParams, body: Type.Object({ criteria: Type.Array(Loose, { maxItems: 100 }) }, { additionalProperties: false }), response: { 200: Type.Object({ areaCode: Type.String(), criteria: Type.Array(Loose) }), 400: ErrorBody, 404: ErrorBody } }
  }, async (request) => {
    const area = areas.find(a => a.code === request.params.area)
    if (area === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `area ${request.params.area} is not configured (official.areas)`)
    const criteria = validateCriteria(request.body.criteria)
    repo.saveCriteria(area.code, criteria, request.principal?.username ?? null, Date.now())
    return { areaCode: area.code, criteria: criteria as unknown as Array<Record<string, unknown>> }
  })

  app.delete('/api/official/criteria/:area', {
    config: { access: ADMIN, audit: 'official.criteria-reset' },
    schema: { params: AreaParams, response: { 200: Type.Object({ areaCode: Type.String(), guideline: Type.Boolean() }), 404: ErrorBody } }
  }, async (request) => {
    if (!areas.some(a => a.code === request.params.area)) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `area ${request.params.area} is not configured (official.areas)`)
    repo.deleteCriteria(request.params.area)
    return { areaCode: request.params.area, guideline: true }
  })
}
