import { h } from './dom.js'
import { addMapBox } from './map-fit.js'
import { statusLabelLong, t } from './i18n.js'
import { STATUS_ORDER, STATUS_STYLE } from './levels.js'

/**
 * The band legend as a Leaflet control (`#legend`). A <details> so phone users
 * can fold it away; it starts folded on narrow screens.
 */
export function addLegend (map: L.Map): { relabel(): void } {
  const details = h('details', { id: 'legend', class: 'map-legend' })
  if (!window.matchMedia('(max-width: 640px)').matches) details.open = true

  function render (): void {
    const list = h('ul', { class: 'legend-list' })
    for (const status of STATUS_ORDER) {
      const st = STATUS_STYLE[status]
      list.append(h('li', { class: 'legend-row', 'data-status': status },
        h('span', { class: 'legend-dot', 'aria-hidden': 'true', style: `--dot-fill:${st.fill};--dot-stroke:${st.stroke}` }),
        h('span', { class: 'legend-text' }, statusLabelLong(status))
      ))
    }
    details.replaceChildren(h('summary', { class: 'legend-title' }, t('legend.title')), list)
  }
  render()

  addMapBox(map, details, 'bottomright')
  return { relabel: render }
}
