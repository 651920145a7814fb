import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { Advisory, NotificationsPort } from '../../../core/notify-types.js'
import { OPERATORS, READERS } from '../auth/access.js'
import { AdvisoryBody, AdvisorySuggestionBody } from '../../contract/notify.js'
import { BinaryBody, ErrorBody } from '../../contract/schemas.js'
import { OfficialSuggestionBody, type OfficialSuggestionView } from './official.js'
import { IdParams, iso, Level, who, type NotifyApp } from './notify-common.js'

function advisoryView (a: Advisory) {
  return { ...a, createdAt: iso(a.createdAt)!, issuedAt: iso(a.issuedAt), updatedAt: iso(a.updatedAt)!, cancelledAt: iso(a.cancelledAt) }
}

/** evacuation advisories (draft → confirm → issue, update, cancel) and the public CAP feed */
export function advisoryRoutes (app: NotifyApp, notifier: NotificationsPort): void {
  app.get('/api/advisories', {
    config: { access: READERS },
    schema: { response: { 200: Type.Array(AdvisoryBody) } }
  }, async () => notifier.advisories.list(100).map(advisoryView))

  app.post('/api/advisories/draft', {
    config: { access: OPERATORS, audit: 'advisory.draft' },
    schema: {
      body: Type.Object({ alertId: Type.Optional(Type.String({ maxLength: 64 })), stationId: Type.Optional(Type.String({ maxLength: 64 })), level: Type.Optional(Level), area: Type.Optional(Type.String({ maxLength: 200 })), radiusM: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 50_000 })), officialArea: Type.Optional(Type.String({ pattern: '^[0-9]{7}$' })) }, { additionalProperties: false }),
      response: { 200: Type.Intersect([AdvisoryBody, Type.Object({ suggestion: Type.Union([AdvisorySuggestionBody, Type.Null()]), official: Type.Optional(Type.Union([OfficialSuggestionBody, Type.Null()])) })]), 400: ErrorBody, 404: ErrorBody }
    }
  }, async (request) => {
    const { suggestion, official, ...draft } = await notifier.advisories.draft({ ...request.body, by: who(request).username })
    return { ...advisoryView(draft), suggestion: suggestion === null ? null : { ...suggestion, at: iso(suggestion.at) }, official: official as OfficialSuggestionView | null }
  })

  const Edit = Type.Object({ text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), area: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false })
  app.post('/api/advisories/:id/issue', {
    config: { access: OPERATORS, audit: 'advisory.issue' },
    schema: { params: IdParams, body: Edit, response: { 200: AdvisoryBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => advisoryView(notifier.advisories.issue(request.params.id, who(request).username, request.body)))

  app.post('/api/advisories/:id/update', {
    config: { access: OPERATORS, audit: 'advisory.update' },
    schema: { params: IdParams, body: Type.Object({ text: Type.Optional(Type.String({ minLength: 1, maxLength: 2000 })), area: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), level: Type.Optional(Level) }, { additionalProperties: false }), response: { 200: AdvisoryBody, 404: ErrorBody, 409: ErrorBody } }
  }, async (request) => advisoryView(notifier.advisories.update(request.params.id, who(request).username, request.body)))

  app.post('/api/advisories/:id/cancel', {
    config: { access: OPERATORS, audit: 'advisory.cancel' },
    schema: { params: IdParams, body: Type.Object({ note: Type.Optional(Type.String({ maxLength: 500 })) }, { additionalProperties: false }), response: { 200: AdvisoryBody, 404: ErrorBody } }
  }, async (request) => advisoryView(notifier.advisories.cancel(request.params.id, who(request).username, request.body.note)))

  // the CAP feed is public by design: anyone (Lアラート relays, media, apps) may read it; drills never appear
  app.get('/api/cap/feed.atom', { config: { access: 'public' }, schema: { response: { 200: BinaryBody('the Atom feed of public CAP messages (application/atom+xml)') } } }, async (_request, reply) => {
    return await reply.type('application/atom+xml; charset=utf-8').send(notifier.capFeed(100))
  })

  app.get('/api/cap/:file', {
    config: { access: 'public' },
    schema: { params: Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9._-]+\\.xml$', maxLength: 200 }) }), response: { 200: BinaryBody('one CAP 1.2 message (application/cap+xml)'), 404: ErrorBody } }
  }, async (request, reply) => {
    const xml = notifier.store.cap(request.params.file.replace(/\.xml$/, ''))
    if (xml === undefined || (xml.includes('<status>Exercise</status>'))) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no CAP message ${request.params.file}`)
    return await reply.type('application/cap+xml; charset=utf-8').send(xml)
  })
}
