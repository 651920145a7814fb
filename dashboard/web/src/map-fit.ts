/**
 * Two map courtesies that work on what Leaflet has drawn, whoever drew it:
 * every popup (station, camera) is panned fully into view below the alert
 * banner, again when an image inside it loads and grows it; and permanent
 * labels that would overlap an earlier one are hidden, so the map never shows
 * a pile of text at zoom 12.
 */

const MARGIN_PX = 8

function reducedMotion (): boolean {
  return window.matchMedia('(prefers-reduced-motion: reduce)').matches
}

/** the top edge a popup must stay below: the banner's bottom while it is shown, else the map's top */
function safeTop (map: L.Map): number {
  const banner = document.getElementById('alert-banner')
  const mapTop = map.getContainer().getBoundingClientRect().top
  return banner === null || banner.hidden ? mapTop + MARGIN_PX : Math.max(mapTop, banner.getBoundingClientRect().bottom) + MARGIN_PX
}

export function keepPopupsVisible (map: L.Map): void {
  const fit = (popup: L.Popup): void => {
    const el = popup.getElement()
    if (el === undefined || !map.hasLayer(popup)) return
    const box = map.getContainer().getBoundingClientRect()
    const r = el.getBoundingClientRect()
    const top = safeTop(map)
    let dy = 0
    if (r.top < top) dy = r.top - top
    else if (r.bottom > box.bottom - MARGIN_PX) dy = Math.max(r.top - top, 0) > 0 ? Math.min(r.bottom - (box.bottom - MARGIN_PX), r.top - top) : 0
    let dx = 0
    if (r.left < box.left + MARGIN_PX) dx = r.left - box.left - MARGIN_PX
    else if (r.right > box.right - MARGIN_PX) dx = r.right - box.right + MARGIN_PX
    if (dx !== 0 || dy !== 0) map.panBy([dx, dy], { animate: !reducedMotion() })
  }
  map.on('popupopen', e => {
    const popup = (e as L.PopupEvent).popup
    // after Leaflet's own autopan has settled
    requestAnimationFrame(() => { fit(popup) })
    popup.getElement()?.querySelectorAll('img').forEach(img => {
      if (!img.complete) img.addEventListener('load', () => { fit(popup) }, { once: true })
    })
  })
  // the banner can appear while a popup is open
  const banner = document.getElementById('alert-banner')
  if (banner !== null) {
    new MutationObserver(() => { map.eachLayer(l => { if (l instanceof L.Popup) fit(l) }) }).observe(banner, { attributes: true, attributeFilter: ['hidden'] })
  }
}

function overlaps (a: DOMRect, b: DOMRect): boolean {
  return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom
}

/**
 * Greedy decluttering of permanent tooltips: in the order the labels were
 * added (markers.ts adds the worst band first), a label that overlaps one
 * already kept is hidden (class `label-collides`) until the view changes.
 */
export function declutterLabels (map: L.Map): void {
  let scheduled = false
  const run = (): void => {
    scheduled = false
    const labels = [...map.getContainer().querySelectorAll<HTMLElement>('.leaflet-tooltip.leaflet-tooltip-right, .leaflet-tooltip.station-label, .leaflet-tooltip.river-label')]
    const kept: DOMRect[] = []
    for (const el of labels) {
      el.classList.remove('label-collides')
      const r = el.getBoundingClientRect()
      if (r.width === 0) continue
      if (kept.some(k => overlaps(k, r))) el.classList.add('label-collides')
      else kept.push(r)
    }
  }
  const schedule = (): void => {
    if (scheduled) return
    scheduled = true
    requestAnimationFrame(run)
  }
  map.on('zoomend moveend resize layeradd', schedule)
  // labels change text (live levels) and appear as markers are added
  new MutationObserver(schedule).observe(map.getPanes().tooltipPane.parentElement ?? map.getContainer(), { childList: true, subtree: true, characterData: true })
  schedule()
}

/** pan to a marker (zooming in to at least street level) and open its popup */
export function focusMarker (map: L.Map, marker: L.Marker | L.CircleMarker | undefined): void {
  if (marker === undefined) return
  map.setView(marker.getLatLng(), Math.max(map.getZoom(), 13))
  marker.openPopup()
}

/** a box on the map (legend, official warnings) as a Leaflet control; clicks and scrolls stay in it */
export function addMapBox (map: L.Map, box: HTMLElement, position: L.ControlPosition): void {
  const control = new L.Control({ position })
  control.onAdd = () => {
    L.DomEvent.disableClickPropagation(box)
    L.DomEvent.disableScrollPropagation(box)
    return box
  }
  control.addTo(map)
}
