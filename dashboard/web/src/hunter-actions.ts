import { postFeedback } from './api.js'
import { csrfHeaders } from './session.js'

/**
 * What a hunter answers to a sighting, in one tap, from the list or the page a
 * push opened: 向かいます (on my way), サルでした (it was monkeys), 誤報 (false
 * alarm). Any of them acknowledges the alert on the server, which stops the
 * escalation to the next person on the rota.
 */
export type HunterAction = 'enRoute' | 'confirm' | 'reject'

export const HUNTER_ACTIONS: readonly HunterAction[] = ['enRoute', 'confirm', 'reject']

async function postEnRoute (alertId: string): Promise<void> {
  const res = await fetch(`/api/notify/alerts/${encodeURIComponent(alertId)}/en-route`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json', ...csrfHeaders() }, body: '{}' })
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { message?: string }
    throw new Error(body.message ?? `${res.status}`)
  }
}

export async function sendHunterAction (alertId: string, hunterId: string, action: HunterAction): Promise<void> {
  if (action === 'enRoute') await postEnRoute(alertId)
  else await postFeedback(alertId, hunterId, action)
}
