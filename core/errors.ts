/**
 * One error class for the whole platform. Codes are stable strings so that
 * operators can grep logs and API clients can branch on them; the HTTP status
 * lives next to the code so the dashboard never has to guess.
 */
export const ErrorCodes = {
  MIMAMORI_ERR_CONFIG: { status: 500, message: 'invalid configuration' },
  MIMAMORI_ERR_CONFIG_FILE: { status: 500, message: 'configuration file could not be read' },
  MIMAMORI_ERR_BAD_FRAME: { status: 400, message: 'malformed uplink frame' },
  MIMAMORI_ERR_UNSUPPORTED_VERSION: { status: 400, message: 'unsupported frame version' },
  MIMAMORI_ERR_BAD_TOPIC: { status: 400, message: 'topic does not match any known pattern' },
  MIMAMORI_ERR_UNKNOWN_DEVICE: { status: 404, message: 'device is not registered to a station' },
  MIMAMORI_ERR_BAD_PAYLOAD: { status: 400, message: 'payload could not be parsed' },
  MIMAMORI_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'payload exceeds the configured limit' },
  MIMAMORI_ERR_INVALID_READING: { status: 422, message: 'reading failed validation' },
  MIMAMORI_ERR_NOT_FOUND: { status: 404, message: 'not found' },
  MIMAMORI_ERR_BAD_REQUEST: { status: 400, message: 'bad request' },
  MIMAMORI_ERR_STORE: { status: 503, message: 'storage failure' },
  MIMAMORI_ERR_SCHEMA_NEWER: { status: 500, message: 'the database was written by a newer release: its schema is ahead of this code' },
  MIMAMORI_ERR_SCHEMA: { status: 500, message: 'a part declares its schema migrations wrongly' },
  MIMAMORI_ERR_ALERT_STATE: { status: 409, message: 'the alert is not in a state that allows this transition' },
  MIMAMORI_ERR_TSDB: { status: 503, message: 'time-series database unreachable or refused the write' },
  MIMAMORI_ERR_CLOSED: { status: 503, message: 'component is shutting down' },
  MIMAMORI_ERR_LISTEN: { status: 500, message: 'could not listen on the configured port' },
  MIMAMORI_ERR_MQTT: { status: 503, message: 'MQTT connection failure' },
  MIMAMORI_ERR_INTERNAL: { status: 500, message: 'internal error' },
  MIMAMORI_ERR_DEVICE_EXISTS: { status: 409, message: 'a device or account with this id is already registered' },
  MIMAMORI_ERR_DEVICE_REVOKED: { status: 409, message: 'the device or account is revoked' },
  MIMAMORI_ERR_AUTH: { status: 401, message: 'MQTT authentication failed' },
  MIMAMORI_ERR_FORBIDDEN: { status: 403, message: 'not allowed for this identity' },
  MIMAMORI_ERR_TLS: { status: 500, message: 'TLS certificate or key could not be loaded' },
  MIMAMORI_ERR_CLUSTER: { status: 503, message: 'cluster backend (Redis) failure' },
  MIMAMORI_ERR_BROKER_THREAD: { status: 503, message: 'the broker thread of the all-in-one died or did not answer' },
  // dashboard accounts, sessions and tokens (dashboard/server/auth)
  MIMAMORI_ERR_UNAUTHENTICATED: { status: 401, message: 'sign in first (session cookie or Bearer API token)' },
  MIMAMORI_ERR_LOGIN: { status: 401, message: 'wrong user name or password' },
  MIMAMORI_ERR_CSRF: { status: 403, message: 'cross-site request refused (Origin or CSRF token missing or wrong)' },
  MIMAMORI_ERR_RATE_LIMITED: { status: 429, message: 'too many attempts; wait and try again' },
  MIMAMORI_ERR_TOO_MANY_STREAMS: { status: 429, message: 'too many live event streams open' },
  MIMAMORI_ERR_NO_ADMIN: { status: 500, message: 'no admin account exists; create one with `mimamori user add <name> --role admin`' },
  // wildlife vision (vision): one code per way an upload can be unusable
  MIMAMORI_ERR_IMAGE_EMPTY: { status: 400, message: 'image has no bytes' },
  MIMAMORI_ERR_IMAGE_FORMAT: { status: 415, message: 'not an image in an accepted format (jpeg, png, webp)' },
  MIMAMORI_ERR_IMAGE_CORRUPT: { status: 422, message: 'image data is corrupt or truncated' },
  MIMAMORI_ERR_IMAGE_DIMENSIONS: { status: 413, message: 'image dimensions exceed the configured limit' },
  MIMAMORI_ERR_VISION: { status: 503, message: 'detection model unavailable or failed' },
  MIMAMORI_ERR_VISION_BUSY: { status: 503, message: 'detection queue is full' },
  // simulators, record/replay and drills (simulators/, cli/record.ts, cli/drill.ts)
  MIMAMORI_ERR_RECORDING: { status: 400, message: 'not a valid MQTT recording line' },
  MIMAMORI_ERR_DATA_ROW: { status: 400, message: 'a row of the replayed data could not be read' },
  MIMAMORI_ERR_SCENARIO: { status: 400, message: 'the drill scenario is invalid' },
  // notifications (notify/): a channel's peer refused or could not be reached; advisories
  MIMAMORI_ERR_NOTIFY_CHANNEL: { status: 502, message: 'a notification channel could not deliver (peer unreachable or refused)' },
  MIMAMORI_ERR_NOTIFY_GONE: { status: 410, message: 'the notification address no longer exists (push subscription expired, user blocked)' },
  MIMAMORI_ERR_NOTIFY_CONFIG: { status: 503, message: 'the notification channel is not configured' },
  // vendor codec plug-ins (codecs/vendor/): a codec is refused at load or stopped per call, never trusted
  MIMAMORI_ERR_CODEC_LOAD: { status: 422, message: 'the codec plug-in could not be loaded (missing file, syntax error, no decodeUplink)' },
  MIMAMORI_ERR_CODEC_EXAMPLE: { status: 422, message: 'the codec plug-in does not reproduce one of its own examples' },
  MIMAMORI_ERR_CODEC_TIMEOUT: { status: 422, message: 'the codec ran past its CPU-time limit and was stopped' },
  MIMAMORI_ERR_CODEC_MEMORY: { status: 422, message: 'the codec ran past its memory limit and was stopped' },
  MIMAMORI_ERR_CODEC_RESULT: { status: 422, message: 'the codec result is too large or not JSON' },
  MIMAMORI_ERR_CODEC_THREW: { status: 422, message: 'the codec threw an exception' },
  MIMAMORI_ERR_CODEC_DECODE: { status: 422, message: 'the codec reported errors for this uplink' },
  MIMAMORI_ERR_CODEC_QUARANTINED: { status: 503, message: 'the codec was stopped several times in a row and is paused; its uplinks are refused until the pause ends' },
  MIMAMORI_ERR_CODEC_PROFILE: { status: 422, message: 'the decoded uplink has no usable value for the device profile' },
  // network-server webhooks (generic HMAC uplink, The Things Stack)
  MIMAMORI_ERR_WEBHOOK_SIGNATURE: { status: 401, message: 'webhook signature or token missing or wrong' },
  MIMAMORI_ERR_WEBHOOK_REPLAY: { status: 401, message: 'webhook timestamp outside the replay window' },
  MIMAMORI_ERR_ADVISORY_STATE: { status: 409, message: 'the evacuation advisory is not in a state that allows this' },
  // fleet registry (store/fleet.ts, /api/fleet, mimamori fleet): details.field names the field, details.ja / details.en say what is wrong
  MIMAMORI_ERR_VALIDATION: { status: 422, message: 'a field is invalid' },
  MIMAMORI_ERR_DEVICE_RETIRED: { status: 409, message: 'the device is retired; its data stays, it may not report' },
  // trail cameras a town buys (fleet/: SMTP intake and HTTP upload)
  MIMAMORI_ERR_INTAKE_AUTH: { status: 401, message: 'wrong camera mailbox password or upload token' },
  MIMAMORI_ERR_INTAKE_UNKNOWN_CAMERA: { status: 404, message: 'no trail camera with this mailbox or id' },
  MIMAMORI_ERR_INTAKE_NO_PHOTO: { status: 422, message: 'the message carries no JPEG photo' },
  MIMAMORI_ERR_INTAKE_TOO_LARGE: { status: 413, message: 'the message or photo exceeds the size limit' },
  MIMAMORI_ERR_INTAKE_TOO_MANY_PHOTOS: { status: 413, message: 'the message carries more attachments than allowed' },
  // official disaster information (official/): JMA 防災情報XML is hostile until parsed safely
  MIMAMORI_ERR_OFFICIAL_TOO_LARGE: { status: 413, message: 'the JMA document exceeds the configured size limit' },
  MIMAMORI_ERR_OFFICIAL_DTD: { status: 422, message: 'the document declares a DOCTYPE or ENTITY (refused: entity expansion and external entities)' },
  MIMAMORI_ERR_OFFICIAL_MALFORMED: { status: 422, message: 'the document is not well-formed XML (malformed, truncated or not UTF-8)' },
  MIMAMORI_ERR_OFFICIAL_NAMESPACE: { status: 422, message: 'the document is not a JMA 防災情報XML telegram or Atom feed (unexpected root or namespace)' },
  MIMAMORI_ERR_OFFICIAL_UNSUPPORTED: { status: 422, message: 'the telegram is of a kind or structure this parser does not handle' },
  MIMAMORI_ERR_OFFICIAL_FETCH: { status: 502, message: 'the JMA feed or telegram could not be fetched' },
  MIMAMORI_ERR_OFFICIAL_CRITERIA: { status: 400, message: 'the decision-support criteria are invalid' }
} as const satisfies Record<string, { status: number, message: string }>

export type ErrorCode = keyof typeof ErrorCodes

export class MimamoriError extends Error {
  readonly code: ErrorCode
  readonly statusCode: number
  readonly details: Record<string, unknown> | undefined

  constructor (code: ErrorCode, message?: string, options?: { cause?: unknown, details?: Record<string, unknown> }) {
    super(message ?? ErrorCodes[code].message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'MimamoriError'
    this.code = code
    this.statusCode = ErrorCodes[code].status
    this.details = options?.details
  }

  toJSON (): { code: ErrorCode, message: string, details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

export function isMimamoriError (err: unknown): err is MimamoriError {
  return err instanceof MimamoriError
}

/** Wraps anything thrown by a library into a coded error without losing the cause. */
export function toMimamoriError (err: unknown, fallback: ErrorCode = 'MIMAMORI_ERR_INTERNAL'): MimamoriError {
  if (err instanceof MimamoriError) return err
  const message = err instanceof Error ? err.message : String(err)
  return new MimamoriError(fallback, message, { cause: err })
}
