import type { Config } from '../../core/config/schema.js'
import type { Logger } from '../../core/logger.js'
import type { WildlifeRepo } from '../../store/wildlife.js'

/**
 * Registers the hunters of the configuration (`hunters[]`) whose id is not
 * registered yet, with their areas. One already registered is left as it is:
 * after the first start the API owns hunters and areas, and a restart must not
 * bring back an area a hunter removed. Returns the ids registered now.
 */
export function seedHunters (repo: WildlifeRepo, hunters: Config['hunters'], logger: Logger): string[] {
  const added: string[] = []
  for (const h of hunters) {
    if (repo.getHunter(h.id) !== undefined) continue
    repo.addHunter({ id: h.id, name: h.name, contact: h.contact })
    for (const a of h.areas) repo.addArea(h.id, { name: a.name, shape: a.shape })
    added.push(h.id)
    logger.info({ hunter: h.id, areas: h.areas.length }, 'hunter registered from the configuration')
  }
  return added
}
