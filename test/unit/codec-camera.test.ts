import { describe, expect, it } from 'vitest'
import { MimamoriError } from '../../core/errors.js'
import { decodeCameraEnvelope, encodeCameraEnvelope } from '../../codecs/camera-envelope.js'
import { decodeCameraDetection, encodeCameraDetection, type CameraDetectionMeta } from '../../codecs/camera-detection.js'

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9])
const frame = { capturedAt: '2025-06-01T05:30:00.000Z', burstId: 'b-1', frameIndex: 0, frameCount: 3, batteryV: 7.2 }
const detection: CameraDetectionMeta = {
  burstId: 'b-1',
  frameCount: 2,
  model: 'mobilenetv2-12-int8',
  thumbnailFrame: null,
  frames: [
    { frameIndex: 0, capturedAt: '2025-06-01T05:30:00.000Z', positive: false, score: 0.01, label: 'valley', via: 'none', bestCrop: 0, errorCode: null },
    { frameIndex: 1, capturedAt: '2025-06-01T05:30:00.500Z', positive: false, score: 0, label: 'valley', via: 'none', bestCrop: 0, errorCode: null }
  ],
  batteryV: 7.1
}

/** a message framed by hand: the JSON text exactly as given (numbers JSON.stringify cannot write, e.g. 1e999) */
function framed (json: string, tail: Buffer): Buffer {
  const body = Buffer.from(json, 'utf8')
  const head = Buffer.alloc(2)
  head.writeUInt16BE(body.length)
  return Buffer.concat([head, body, tail])
}

function refusal (fn: () => unknown): MimamoriError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(MimamoriError)
    return err as MimamoriError
  }
  throw new Error('expected a refusal')
}

const BAD_LOCATIONS: Array<[string, string, RegExp]> = [
  ['"lat":91,"lon":139.8', 'north of the pole', /lat must be a number -90\.\.90/],
  ['"lat":-90.5,"lon":139.8', 'south of the pole', /lat must be a number -90\.\.90/],
  ['"lat":38.7,"lon":180.01', 'past the antimeridian', /lon must be a number -180\.\.180/],
  ['"lat":38.7,"lon":-181', 'past the antimeridian west', /lon must be a number -180\.\.180/],
  ['"lat":"38.7","lon":139.8', 'a string', /lat must be a number/],
  ['"lat":38.7,"lon":true', 'a boolean', /lon must be a number/],
  ['"lat":1e999,"lon":139.8', 'infinite', /lat must be a number/],
  ['"lat":38.7', 'lat alone', /lat and lon come together/],
  ['"lat":null,"lon":139.8', 'lon alone', /lat and lon come together/]
]

describe('camera image envelope: location', () => {
  it('carries the camera position through encode and decode, with the JPEG untouched', () => {
    const { meta, image } = decodeCameraEnvelope(encodeCameraEnvelope({ ...frame, lat: 38.6795, lon: 139.788 }, JPEG))
    expect(meta).toEqual({ ...frame, lat: 38.6795, lon: 139.788 })
    expect(image.equals(JPEG)).toBe(true)
  })

  it('decodes a message without a position (no GPS fix, older cameras) as null, and accepts (0, 0) and the range ends', () => {
    expect(decodeCameraEnvelope(encodeCameraEnvelope(frame, JPEG)).meta).toMatchObject({ lat: null, lon: null })
    expect(decodeCameraEnvelope(encodeCameraEnvelope({ ...frame, lat: null, lon: null }, JPEG)).meta).toMatchObject({ lat: null, lon: null })
    expect(decodeCameraEnvelope(encodeCameraEnvelope({ ...frame, lat: 0, lon: 0 }, JPEG)).meta).toMatchObject({ lat: 0, lon: 0 })
    expect(decodeCameraEnvelope(encodeCameraEnvelope({ ...frame, lat: -90, lon: 180 }, JPEG)).meta).toMatchObject({ lat: -90, lon: 180 })
  })

  it.each(BAD_LOCATIONS)('refuses %s (%s) with MIMAMORI_ERR_BAD_PAYLOAD naming the field', (loc, _why, message) => {
    const json = JSON.stringify(frame).slice(0, -1) + ',' + loc + '}'
    const err = refusal(() => decodeCameraEnvelope(framed(json, JPEG)))
    expect(err.code).toBe('MIMAMORI_ERR_BAD_PAYLOAD')
    expect(err.message).toMatch(message)
  })
})

describe('camera image envelope: burst position', () => {
  it('refuses a frame index at or past its frame count, and accepts the last frame', () => {
    const err = refusal(() => decodeCameraEnvelope(encodeCameraEnvelope({ ...frame, frameIndex: 3, frameCount: 3 }, JPEG)))
    expect(err.code).toBe('MIMAMORI_ERR_BAD_PAYLOAD')
    expect(err.message).toMatch(/frameIndex must be below frameCount/)
    expect(decodeCameraEnvelope(encodeCameraEnvelope({ ...frame, frameIndex: 2, frameCount: 3 }, JPEG)).meta.frameIndex).toBe(2)
  })
})

describe('on-device detection message: location', () => {
  it('carries the camera position through encode and decode', () => {
    const { meta, thumbnail } = decodeCameraDetection(encodeCameraDetection({ ...detection, lat: 38.7012, lon: 139.8925 }, null))
    expect(meta).toEqual({ ...detection, lat: 38.7012, lon: 139.8925 })
    expect(thumbnail).toBeNull()
  })

  it('decodes one without a position as null', () => {
    expect(decodeCameraDetection(encodeCameraDetection(detection, null)).meta).toMatchObject({ lat: null, lon: null })
  })

  it.each(BAD_LOCATIONS)('refuses %s (%s) with MIMAMORI_ERR_BAD_PAYLOAD naming the field', (loc, _why, message) => {
    const json = JSON.stringify(detection).slice(0, -1) + ',' + loc + '}'
    const err = refusal(() => decodeCameraDetection(framed(json, Buffer.alloc(0))))
    expect(err.code).toBe('MIMAMORI_ERR_BAD_PAYLOAD')
    expect(err.message).toMatch(message)
  })
})

describe('camera framing (2-byte length, JSON, binary part)', () => {
  const decoders = {
    camera: (b: Buffer) => decodeCameraEnvelope(b),
    detection: (b: Buffer) => decodeCameraDetection(b)
  }
  it.each(Object.entries(decoders))('%s: refuses a broken frame with a coded error naming what is wrong', (what, decode) => {
    const cases: Array<[Buffer, RegExp]> = [
      [Buffer.from([0, 1]), /shorter than its header/],
      [framed('{}', Buffer.alloc(0)).subarray(0, 3), /does not fit/],
      [Buffer.concat([Buffer.from([0, 0]), JPEG]), /length 0 does not fit/],
      [framed('{not json', JPEG), /is not JSON/]
    ]
    for (const [bytes, message] of cases) {
      const err = refusal(() => decode(bytes))
      expect(err.code).toBe('MIMAMORI_ERR_BAD_PAYLOAD')
      expect(err.message).toMatch(new RegExp(`^${what} `))
      expect(err.message).toMatch(message)
    }
  })

  it('an image envelope must carry the JPEG; a detection may end after its JSON', () => {
    expect(refusal(() => decodeCameraEnvelope(framed(JSON.stringify(frame), Buffer.alloc(0)))).message).toMatch(/does not fit/)
    expect(decodeCameraDetection(encodeCameraDetection(detection, null)).thumbnail).toBeNull()
    const big = { ...frame, burstId: 'x'.repeat(5000) }
    expect(refusal(() => encodeCameraEnvelope(big, JPEG)).message).toBe('camera metadata too large')
  })
})
