import { Type } from 'typebox'

/** Response and query schemas: they validate input and feed the generated OpenAPI-style docs. */
export const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() })

/** a body that is not JSON (an image, a file, XML, text): documents the route; the serializer passes it through */
export const BinaryBody = (description: string) => Type.String({ description })

/** 204: the route answers with no body */
export const NoContent = Type.Unsafe<void>({ type: 'null', description: 'no content' })

export const LevelStatusSchema = Type.Union([
  Type.Literal('normal'), Type.Literal('standby'), Type.Literal('caution'),
  Type.Literal('evacuationJudgement'), Type.Literal('danger'), Type.Literal('flooding'), Type.Literal('unknown')
])

export const ThresholdsBody = Type.Object({
  observationStart: Type.Optional(Type.Number()),
  standby: Type.Number(),
  caution: Type.Number(),
  evacuationJudgement: Type.Number(),
  danger: Type.Number(),
  flooding: Type.Number()
})

/** a gateway gauge's report on a store-and-forward backlog it has delivered (docs/payload.md, device status) */
export const BacklogReportBody = Type.Object({
  sent: Type.Integer({ minimum: 0, description: 'frames sent from the device\'s queue after the outage' }),
  summarised: Type.Integer({ minimum: 0, description: 'measurements folded into other frames (peak kept) because the queue was full' }),
  from: Type.String({ format: 'date-time', description: 'observation time of the oldest measurement delivered' }),
  to: Type.String({ format: 'date-time', description: 'observation time of the newest measurement delivered' }),
  time: Type.String({ format: 'date-time', description: 'when the report was received' })
}, { description: 'the last backlog report since this dashboard started; sent + summarised = measurements taken during the outage' })

/** the device's last retained status (broker/index.ts adds lastSeen and the last battery to its will) */
export const DeviceStatusBody = Type.Object({
  online: Type.Boolean(),
  batteryV: Type.Union([Type.Number(), Type.Null()]),
  lastSeen: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  time: Type.String({ format: 'date-time', description: 'when the status was received' }),
  lastBacklog: Type.Optional(Type.Union([Type.Null(), BacklogReportBody], { description: 'the last store-and-forward backlog report (gateway gauges only); null: none received' }))
})

export const StationBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  river: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  deviceId: Type.String(),
  datum: Type.Number(),
  sensorHeight: Type.Number(),
  thresholds: ThresholdsBody,
  state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('maintenance'), Type.Literal('retired')], { description: 'fleet registry: maintenance (点検中) = readings stored, alerts suppressed; retired = no longer reporting, data kept' })),
  profile: Type.Optional(Type.String({ description: 'payload format: mimamori-frame-v1 or a vendor device profile' })),
  status: LevelStatusSchema,
  device: Type.Optional(Type.Union([Type.Null(), DeviceStatusBody])),
  latest: Type.Union([Type.Null(), Type.Object({
    time: Type.String({ format: 'date-time' }),
    receivedAt: Type.String({ format: 'date-time' }),
    level: Type.Number(),
    batteryV: Type.Union([Type.Number(), Type.Null()])
  })], { description: 'the current level: the newest reading QC trusts (the one the band and the alerts follow)' }),
  pending: Type.Optional(Type.Union([Type.Null(), Type.Object({
    time: Type.String({ format: 'date-time' }),
    receivedAt: Type.String({ format: 'date-time' }),
    level: Type.Number(),
    qcFlag: Type.Integer()
  })], { description: 'a newer reading QC still holds (suspect until the next reading confirms or rejects it); not the current level' }))
})

export const ReadingBody = Type.Object({
  time: Type.String({ format: 'date-time' }),
  receivedAt: Type.String({ format: 'date-time' }),
  level: Type.Union([Type.Number(), Type.Null()], { description: 'm on the gauge datum; null: the gauge measured nothing (qc.flag 9, 欠測)' }),
  batteryV: Type.Union([Type.Number(), Type.Null()]),
  temperatureC: Type.Union([Type.Number(), Type.Null()]),
  spreadMm: Type.Union([Type.Number(), Type.Null()]),
  validPings: Type.Integer(),
  totalPings: Type.Integer(),
  deviceFlags: Type.Integer(),
  qc: Type.Optional(Type.Object({
    flag: Type.Integer({ description: 'QARTOD: 1 pass, 2 not evaluated, 3 suspect, 4 fail, 9 missing' }),
    tests: Type.Record(Type.String(), Type.Integer(), { description: 'non-passing tests and their flag, e.g. { "spike": 4 }' })
  }))
})

/** gauge downlink (docs/payload.md, fPort 10): only the named settings change */
export const DownlinkBody = Type.Object({
  mode: Type.Optional(Type.Union([Type.Literal('watch'), Type.Literal('observe'), Type.Literal('maintenance')], { description: 'watch = 監視 (automatic), observe = 観測 (pinned), maintenance = 保守' })),
  observeIntervalMin: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, description: '観測 reporting interval, min' })),
  heartbeatHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 255, description: '監視 heartbeat, h' })),
  observationStartM: Type.Optional(Type.Number({ minimum: -32.767, maximum: 32.767, description: '観測開始水位, m on the gauge datum' })),
  reason: Type.String({ minLength: 3, maxLength: 500, pattern: '\\S', description: 'why (理由): kept in the audit log with who sent it' })
}, { additionalProperties: false, minProperties: 2 })

export const DownlinkResult = Type.Object({
  stationId: Type.String(),
  deviceId: Type.String(),
  topic: Type.String(),
  fPort: Type.Integer(),
  bytes: Type.String({ description: 'the frame as hex' }),
  settings: Type.Record(Type.String(), Type.Unknown())
})

export const ReadingsQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, default: 24 h before `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, default: now' })),
  limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 2000 })
}, { additionalProperties: false })

export const IdParams = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }) })

export const CameraBody = Type.Object({
  id: Type.String(),
  name: Type.String(),
  nameEn: Type.String(),
  lat: Type.Number(),
  lon: Type.Number(),
  onDeviceInference: Type.Optional(Type.Boolean()),
  state: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('maintenance'), Type.Literal('retired')])),
  trail: Type.Optional(Type.Boolean({ description: 'a bought trail camera: photos by e-mail or HTTP upload' })),
  device: Type.Optional(Type.Union([Type.Null(), DeviceStatusBody])),
  latest: Type.Union([Type.Null(), Type.Object({
    time: Type.String({ format: 'date-time' }),
    width: Type.Integer(),
    height: Type.Integer(),
    imageUrl: Type.String()
  })])
})

const AlertStateSchema = Type.Union([Type.Literal('pending'), Type.Literal('firing'), Type.Literal('acknowledged'), Type.Literal('resolved')])
const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()])

export const AlertBody = Type.Object({
  id: Type.String(),
  key: Type.String(),
  kind: Type.String(),
  subjectId: Type.String(),
  rule: Type.String(),
  severity: Type.Union([Type.Literal('minor'), Type.Literal('moderate'), Type.Literal('severe'), Type.Literal('extreme')]),
  state: AlertStateSchema,
  drill: Type.Boolean({ description: '訓練: never sent on public channels' }),
  title: Type.String(),
  message: Type.String(),
  details: Type.Record(Type.String(), Type.Unknown()),
  observedAt: Type.String({ format: 'date-time' }),
  lastSeenAt: Type.String({ format: 'date-time' }),
  occurrences: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
  firedAt: NullableTime,
  acknowledgedAt: NullableTime,
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  resolvedAt: NullableTime,
  resolvedBy: Type.Union([Type.String(), Type.Null()]),
  resolution: Type.Union([Type.String(), Type.Null()])
})

export const AlertsQuery = Type.Object({
  state: Type.Optional(Type.String({ pattern: '^(pending|firing|acknowledged|resolved|open)(,(pending|firing|acknowledged|resolved|open))*$', description: 'comma-separated states; `open` = pending,firing,acknowledged' })),
  kind: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]{0,31}$' })),
  subjectId: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })),
  drill: Type.Optional(Type.Boolean()),
  limit: Type.Integer({ minimum: 1, maximum: 1000, default: 200 })
}, { additionalProperties: false })

export const AlertActionBody = Type.Object({
  by: Type.Optional(Type.String({ maxLength: 128, description: 'ignored: the signed-in user acts (kept so older clients still validate)' })),
  note: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })

/** one click on a station event: the alerts of the group, the one that speaks for it first */
export const AlertGroupActionBody = Type.Object({
  ids: Type.Array(Type.String({ pattern: '^[0-9a-f-]{36}$' }), { minItems: 1, maxItems: 50, uniqueItems: true }),
  note: Type.Optional(Type.String({ maxLength: 1000 }))
}, { additionalProperties: false })

export const AlertIdParams = Type.Object({ id: Type.String({ pattern: '^[0-9a-f-]{36}$' }) })

/** hydrograph: `points` bounds the answer; the server picks the bucket width (one query on either store) */
export const SeriesQuerySchema = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, default: 24 h before `to`' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'ISO 8601, default: now' })),
  points: Type.Integer({ minimum: 10, maximum: 10_000, default: 2000, description: 'at most this many buckets; raw readings when the range holds fewer' })
}, { additionalProperties: false })

export const SeriesBucketBody = Type.Object({
  time: Type.String({ format: 'date-time', description: 'bucket start (buckets are multiples of bucketMs since the epoch)' }),
  mean: Type.Union([Type.Number(), Type.Null()], { description: 'm; null: no usable level (all missing or failed QC)' }),
  min: Type.Union([Type.Number(), Type.Null()]),
  max: Type.Union([Type.Number(), Type.Null()]),
  count: Type.Integer({ description: 'usable levels in the bucket' }),
  flagged: Type.Integer({ description: 'readings QC marked suspect (3) or failed (4)' }),
  missing: Type.Integer({ description: 'frames without a level (欠測, flag 9)' })
})

export const SeriesBody = Type.Object({
  stationId: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  bucketMs: Type.Integer({ description: 'bucket width in ms' }),
  points: Type.Array(SeriesBucketBody),
  gaps: Type.Array(Type.Object({ from: Type.String({ format: 'date-time' }), to: Type.String({ format: 'date-time' }) }), { description: '欠測: no frame at all between these data times (longer than 3 of the station\'s usual intervals, at least 40 min); empty when the range holds more than 200 000 readings' }),
  episodes: Type.Array(Type.Object({
    kind: Type.String({ description: 'obstruction | dropout' }),
    start: Type.String({ format: 'date-time' }),
    end: Type.String({ format: 'date-time' }),
    echoes: Type.Integer({ description: 'echo readings failed by QC' }),
    kept: Type.Integer({ description: 'genuine readings between the echoes, kept' }),
    echoLevel: Type.Number({ description: 'median level of the echoes, m' }),
    open: Type.Boolean()
  }), { description: 'obstruction episodes of a distance sensor (core/river/episodes.ts)' })
})

export const TrendBody = Type.Object({
  stationId: Type.String(),
  level: Type.Union([Type.Number(), Type.Null()], { description: 'current level: the newest reading QC trusts, m (as /api/stations `latest`)' }),
  time: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  rateMPerHour: Type.Union([Type.Number(), Type.Null()], { description: 'least-squares rate of rise over the trend window; null: too few readings' }),
  next: Type.Union([Type.Null(), Type.Object({ key: Type.String(), value: Type.Number() })], { description: 'the next MLIT threshold above the level' }),
  hoursToNext: Type.Union([Type.Number(), Type.Null()], { description: 'linear forecast to the next threshold; null: not rising' })
})

export const ExportQuery = Type.Object({
  dataset: Type.Union([Type.Literal('readings'), Type.Literal('detections'), Type.Literal('sightings'), Type.Literal('alerts'), Type.Literal('events')]),
  format: Type.Union([Type.Literal('csv'), Type.Literal('parquet')], { default: 'csv' }),
  ids: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(,[A-Za-z0-9][A-Za-z0-9._-]{0,63})*$', description: 'comma-separated station ids (readings, alerts) or camera ids (detections, sightings); default: all' })),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' })
}, { additionalProperties: false })

/** GET /api/server-info (dashboard/contract/server-info.ts is the browser's type of it) */
export const ServerInfoBody = Type.Object({
  secure: Type.Boolean({ description: 'this request arrived over HTTPS (TLS here, or X-Forwarded-Proto: https from a trusted proxy)' }),
  networkBind: Type.Boolean({ description: 'dashboard.host is not loopback' }),
  demo: Type.Boolean({ description: 'demo sign-in by the one-time link printed at start (dashboard.auth.demoLogin)' })
})
