/** Hunters' areas: a circle (centre + radius) or a polygon of [lat, lon] vertices. */
export type AreaShape =
  | { type: 'circle', lat: number, lon: number, radiusM: number }
  | { type: 'polygon', points: Array<[number, number]> }

const EARTH_RADIUS_M = 6_371_008.8

/** Great-circle distance (haversine), metres. */
export function distanceM (lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180
  const dLat = (lat2 - lat1) * rad
  const dLon = (lon2 - lon1) * rad
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)))
}

/**
 * Does the area contain the point? Polygons use the even-odd ray test in
 * lat/lon, fine for the few-kilometre areas of a hunting group (no pole or
 * antimeridian crossing); a point on an edge counts as inside.
 */
export function contains (shape: AreaShape, lat: number, lon: number): boolean {
  if (shape.type === 'circle') return distanceM(shape.lat, shape.lon, lat, lon) <= shape.radiusM
  const pts = shape.points
  let inside = false
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [yi, xi] = pts[i]!
    const [yj, xj] = pts[j]!
    if (onSegment(lat, lon, yi, xi, yj, xj)) return true
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside
  }
  return inside
}

function onSegment (py: number, px: number, ay: number, ax: number, by: number, bx: number): boolean {
  const cross = (px - ax) * (by - ay) - (py - ay) * (bx - ax)
  if (Math.abs(cross) > 1e-12) return false
  return px >= Math.min(ax, bx) && px <= Math.max(ax, bx) && py >= Math.min(ay, by) && py <= Math.max(ay, by)
}
