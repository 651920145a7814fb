/** Great-circle distance (m) and initial bearing (° from north) from a to b. */
export function distanceAndBearing (a: { lat: number, lon: number }, b: { lat: number, lon: number }): { metres: number, bearing: number } {
  const rad = Math.PI / 180
  const φ1 = a.lat * rad
  const φ2 = b.lat * rad
  const dφ = (b.lat - a.lat) * rad
  const dλ = (b.lon - a.lon) * rad
  const h = Math.sin(dφ / 2) ** 2 + Math.cos(φ1) * Math.cos(φ2) * Math.sin(dλ / 2) ** 2
  const metres = 2 * 6_371_008.8 * Math.asin(Math.min(1, Math.sqrt(h)))
  const y = Math.sin(dλ) * Math.cos(φ2)
  const x = Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(dλ)
  return { metres, bearing: (Math.atan2(y, x) / rad + 360) % 360 }
}

export function formatDistance (metres: number): string {
  return metres < 1000 ? `${Math.round(metres / 10) * 10} m` : `${(metres / 1000).toFixed(1)} km`
}
