import { csrfHeaders } from './session.js'

/** One JSON call: a GET, or a write with a JSON body and the session's CSRF header (scripts with a token need none). */
export async function requestJson (url: string, init: { method?: string, body?: unknown } = {}): Promise<Response> {
  const write = init.method !== undefined && init.method !== 'GET'
  return await fetch(url, {
    method: init.method ?? 'GET',
    cache: 'no-store',
    headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...(write ? csrfHeaders() : {}) },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) })
  })
}

/** the server's coded message of a refusal, or the status line when the body is not JSON */
export async function refusalMessage (res: Response): Promise<string> {
  try {
    const body = await res.json() as { message?: unknown }
    if (typeof body.message === 'string') return body.message
  } catch {
    // not JSON: keep the status line
  }
  return `${res.status} ${res.statusText}`
}
