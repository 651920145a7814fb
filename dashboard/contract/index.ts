/**
 * The dashboard API contract: every response body and every SSE event as a
 * TypeBox schema, and the role list. The server validates and documents with
 * the schemas (OpenAPI at /docs); the browser (dashboard/web/src) imports only
 * their `Static` types and the role list from here, so a field the server
 * adds or changes shows up in the browser's code at compile time.
 */
export * from './roles.js'
export * from './schemas.js'
export * from './auth.js'
export * from './wildlife.js'
export * from './notify.js'
export * from './events.js'
export * from './misc.js'
export * from './fleet.js'
export * from './accuracy.js'
