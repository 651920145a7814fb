import { describe, expect, it } from 'vitest'
import { deviceTopic, isIngestTopic, isValidDeviceId, parseTopic, SUBSCRIPTIONS, topicMatches } from '../../core/topics.js'

describe('deviceTopic', () => {
  it('builds the documented topics', () => {
    expect(deviceTopic('gauge', 'g-001', 'up')).toBe('mmr/v1/gauge/g-001/up')
    expect(deviceTopic('camera', 'cam.7', 'image')).toBe('mmr/v1/camera/cam.7/image')
    expect(deviceTopic('gauge', 'g-001', 'status')).toBe('mmr/v1/gauge/g-001/status')
    expect(deviceTopic('gauge', 'g-001', 'down')).toBe('mmr/v1/gauge/g-001/down')
  })

  it('round-trips through parseTopic', () => {
    for (const channel of ['up', 'image', 'detection', 'meta', 'status', 'down'] as const) {
      expect(parseTopic(deviceTopic('camera', 'c_1', channel))).toEqual({ type: 'device', kind: 'camera', deviceId: 'c_1', channel })
    }
  })
})

describe('SUBSCRIPTIONS', () => {
  it('uses single-level wildcards that match the builders', () => {
    expect(SUBSCRIPTIONS).toEqual({
      gaugeUplinks: 'mmr/v1/gauge/+/up',
      cameraImages: 'mmr/v1/camera/+/image',
      cameraDetections: 'mmr/v1/camera/+/detection',
      status: 'mmr/v1/+/+/status',
      chirpstackUplinks: 'application/+/device/+/event/up',
      ttsUplinks: 'v3/+/devices/+/up',
      lorawanUplinks: 'lorawan/+/up'
    })
  })
})

describe('parseTopic', () => {
  it('reads ChirpStack v4 uplink events', () => {
    expect(parseTopic('application/7b3c/device/0004a30b001c2d3e/event/up'))
      .toEqual({ type: 'chirpstack', applicationId: '7b3c', devEui: '0004a30b001c2d3e' })
  })

  it('returns null for anything outside the tree', () => {
    const bad = [
      '', 'mmr/v1/gauge/g1', 'mmr/v1/gauge/g1/up/extra', 'mmr/v2/gauge/g1/up', '/mmr/v1/gauge/g1/up',
      'mmr/v1/drone/g1/up', 'mmr/v1/gauge/g1/upload', 'mmr/v1/gauge/+/up', 'mmr/v1/gauge/#/up',
      'mmr/v1/gauge/-g1/up', 'mmr/v1/gauge//up',
      'application/1/device/abc/event/join', 'application/1/device/abc/event/up/x'
    ]
    for (const topic of bad) expect(parseTopic(topic), topic).toBeNull()
  })
})

describe('isValidDeviceId', () => {
  it('allows 1..64 characters of letters, digits and . _ - starting with a letter or digit', () => {
    expect(isValidDeviceId('a')).toBe(true)
    expect(isValidDeviceId('A'.repeat(64))).toBe(true)
    expect(isValidDeviceId('A'.repeat(65))).toBe(false)
    expect(isValidDeviceId('')).toBe(false)
    expect(isValidDeviceId('_g')).toBe(false)
    expect(isValidDeviceId('g/1')).toBe(false)
    expect(isValidDeviceId('g 1')).toBe(false)
    expect(isValidDeviceId('水位計')).toBe(false)
  })
})

/** MQTT 3.1.1 section 4.7 (topic names and filters), its normative statements and examples. */
describe('topicMatches (MQTT 3.1.1 wildcards)', () => {
  const cases: Array<[filter: string, topic: string, matches: boolean]> = [
    // exact match, case-sensitive, levels split on '/'
    ['sport/tennis', 'sport/tennis', true],
    ['sport/tennis', 'Sport/Tennis', false],
    ['sport/tennis', 'sport/tennis/player1', false],
    // 4.7.1.2 multi-level '#': the level itself and everything below, parent included
    ['sport/tennis/player1/#', 'sport/tennis/player1', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/ranking', true],
    ['sport/tennis/player1/#', 'sport/tennis/player1/score/wimbledon', true],
    ['sport/#', 'sport', true],
    ['#', 'sport/tennis/player1', true],
    ['#', '/', true],
    ['sport/tennis/#', 'sport/tennisball', false],
    // 4.7.1.3 single-level '+': exactly one level, an empty level too
    ['sport/tennis/+', 'sport/tennis/player1', true],
    ['sport/tennis/+', 'sport/tennis/player2', true],
    ['sport/tennis/+', 'sport/tennis/player1/ranking', false],
    ['sport/+', 'sport', false],
    ['sport/+', 'sport/', true],
    ['+', 'sport', true],
    ['+', '/finance', false],
    ['+/+', '/finance', true],
    ['/+', '/finance', true],
    ['+/tennis/#', 'sport/tennis/player1', true],
    ['sport/+/player1', 'sport/tennis/player1', true],
    ['sport/+/player1', 'sport/tennis/player2', false],
    // 4.7.2 topics beginning with '$' are not matched by a leading wildcard
    ['#', '$SYS/broker/uptime', false],
    ['+/monitor/Clients', '$SYS/monitor/Clients', false],
    ['$SYS/#', '$SYS/monitor/Clients', true],
    ['$SYS/monitor/+', '$SYS/monitor/Clients', true],
    ['$SYS/broker/uptime', '$SYS/broker/uptime', true],
    // the project's own subscriptions
    [SUBSCRIPTIONS.status, 'mmr/v1/gauge/g-1/status', true],
    [SUBSCRIPTIONS.gaugeUplinks, 'mmr/v1/gauge/g-1/down', false],
    [SUBSCRIPTIONS.chirpstackUplinks, 'application/7/device/00aa/event/up', true]
  ]
  it.each(cases)('%s vs %s → %s', (filter, topic, matches) => {
    expect(topicMatches(filter, topic)).toBe(matches)
  })

  it('is the only implementation: the broker uses core/topics', async () => {
    const acl = await import('../../broker/acl.js') as Record<string, unknown>
    expect(acl.topicMatches).toBeUndefined()
  })

  it('routes exactly the ingest subscriptions', () => {
    expect(isIngestTopic('mmr/v1/camera/c1/image')).toBe(true)
    expect(isIngestTopic('mmr/v1/camera/c1/down')).toBe(false)
    expect(isIngestTopic('$SYS/mmr/v1/gauge/g/status')).toBe(false)
  })
})
