import { describe, expect, it } from 'vitest'
import type { Detection } from '../../core/types.js'
import { contains, distanceM } from '../../core/geofence.js'
import { createBurstVoter } from '../../ingest/wildlife/sightings.js'

const det = (frameIndex: number, positive: boolean, o: Partial<Detection> = {}): Detection => ({
  cameraId: 'cam-1', time: 1000 + frameIndex, frameIndex, burstId: 'b1', frameCount: 4, positive, score: positive ? 0.5 + frameIndex / 10 : 0.01,
  label: 'macaque', via: positive ? 'whole' : 'none', boxes: [], thumbnail: null, errorCode: null, ...o
})

describe('geofence', () => {
  it('measures great-circle distance', () => {
    // 0.01° of latitude ≈ 1112 m
    expect(distanceM(38.7, 139.8, 38.71, 139.8)).toBeGreaterThan(1100)
    expect(distanceM(38.7, 139.8, 38.71, 139.8)).toBeLessThan(1125)
  })
  it('contains points in a circle and a polygon, not outside', () => {
    expect(contains({ type: 'circle', lat: 38.7, lon: 139.8, radiusM: 1000 }, 38.705, 139.8)).toBe(true)
    expect(contains({ type: 'circle', lat: 38.7, lon: 139.8, radiusM: 1000 }, 38.71, 139.8)).toBe(false)
    const l: Array<[number, number]> = [[38.0, 139.0], [38.0, 139.2], [38.1, 139.2], [38.1, 139.1], [38.05, 139.1], [38.05, 139.0]]
    expect(contains({ type: 'polygon', points: l }, 38.02, 139.05)).toBe(true)
    expect(contains({ type: 'polygon', points: l }, 38.08, 139.05)).toBe(false) // the notch of the L
    expect(contains({ type: 'polygon', points: l }, 38.0, 139.1)).toBe(true) // on an edge
  })
})

describe('k-of-n burst voting', () => {
  it('decides at the k-th positive frame, once per burst, whatever the order or repeats', () => {
    const v = createBurstVoter({ minPositiveFrames: 2, burstTimeoutMs: 60_000 })
    expect(v.add(det(2, true))).toBeNull()
    expect(v.add(det(2, true))).toBeNull() // redelivered frame
    expect(v.add(det(0, false))).toBeNull()
    const vote = v.add(det(3, true))
    expect(vote).toMatchObject({ cameraId: 'cam-1', burstId: 'b1', frames: 4 })
    expect(vote?.positives).toHaveLength(2)
    expect(vote?.best.frameIndex).toBe(3)
    expect(v.add(det(1, true))).toBeNull() // the burst already made its sighting
    expect(v.open).toBe(0)
  })
  it('never decides on one positive frame when k = 2, and caps k at the burst size', () => {
    const v = createBurstVoter({ minPositiveFrames: 2, burstTimeoutMs: 60_000 })
    for (const [i, p] of [[0, false], [1, true], [2, false], [3, false]] as const) expect(v.add(det(i, p))).toBeNull()
    expect(v.add(det(0, true, { burstId: 'single', frameCount: 1 }))).not.toBeNull()
  })
  it('forgets bursts whose frames stop arriving', () => {
    const v = createBurstVoter({ minPositiveFrames: 2, burstTimeoutMs: 1000 })
    v.add(det(0, true), 0)
    expect(v.open).toBe(1)
    expect(v.sweep(5000)).toBe(1)
    expect(v.open).toBe(0)
  })
})
