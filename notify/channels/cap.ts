import { capAlertXml, type CapContext } from '../cap-xml.js'
import { capIdentifier } from '../message.js'
import type { NotifyStore } from '../store.js'
import type { Channel } from '../types.js'
import { refused } from './errors.js'

/**
 * The CAP 1.2 feed as a channel: "sending" an advisory writes its <alert>
 * document once (keyed by identifier) where /api/cap serves it. Only
 * advisories reach it: raw alerts are for staff, advisories are what the
 * town announces.
 */
export function createCapChannel (o: { store: NotifyStore, ctx: CapContext }): Channel {
  return {
    name: 'cap',
    async send (n) {
      const a = n.advisory
      if (a === null) throw refused('cap', 'only evacuation advisories go to the CAP feed')
      o.store.putCap({ identifier: capIdentifier(a), advisoryId: a.id, sent: a.updatedAt, xml: capAlertXml(a, a.updatedAt, n.capPrevious, o.ctx), drill: a.drill })
    }
  }
}
