import { Type, type Static } from 'typebox'

const Code = Type.String({ pattern: '^[0-9]{6,17}$' })

/** One area staff decide for (a 市町村 or 二次細分) and what JMA and gauge information applies to it. */
export const OfficialAreaSchema = Type.Object({
  code: Type.String({ pattern: '^[0-9]{7}$', description: '市町村等 code (AreaInformationCity), e.g. 0620300 鶴岡市' }),
  name: Type.String({ minLength: 1, maxLength: 100 }),
  warningCodes: Type.Array(Code, { default: [], description: 'further 気象警報 area codes that count for this area (二次細分 0620311, 市町村等をまとめた地域 060032); the area code itself always counts' }),
  floodAreas: Type.Array(Type.String({ pattern: '^[0-9]{12}$' }), { default: [], description: '指定河川洪水予報 予報区域 codes, e.g. 820212000100 赤川, 820211000102 最上川下流' }),
  stations: Type.Array(Type.String({ maxLength: 64 }), { default: [], description: 'our gauges (station ids) whose thresholds count for this area' }),
  referenceStations: Type.Array(Type.String({ maxLength: 64 }), { default: [], description: 'reference (MLIT) gauges whose published thresholds count for this area' })
}, { additionalProperties: false })

export const OfficialSchema = Type.Object({
  enabled: Type.Boolean({ default: false, description: 'follow JMA 防災情報XML (PULL feeds or a replay folder)' }),
  feeds: Type.Array(Type.Object({
    url: Type.String({ minLength: 1, description: 'Atom feed, e.g. https://www.data.jma.go.jp/developer/xml/feed/extra.xml (高頻度) or extra_l.xml (長期)' }),
    intervalS: Type.Number({ minimum: 1, default: 60, description: 'never polled more often than this; JMA asks for no less than 60 s' })
  }, { additionalProperties: false }), { default: [] }),
  dataTypes: Type.Array(Type.String({ pattern: '^[A-Z]{4}[0-9]{0,2}$' }), { default: ['VPWW54', 'VXKO', 'VXWW50', 'VPOA50'], description: 'データ種類コード fetched (a prefix: VXKO = every 指定河川洪水予報)' }),
  officeCodes: Type.Array(Type.String({ pattern: '^[0-9]{6}$' }), { default: ['060000'], description: 'issuing offices by area code in the telegram file name (060000 = 山形); empty = all' }),
  statuses: Type.Array(Type.String(), { default: ['通常'], description: 'Control/Status values applied to the state (訓練 and 試験 are stored, not applied)' }),
  maxBytes: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024, description: 'largest feed or telegram accepted, bytes' }),
  backoffMaxS: Type.Number({ minimum: 1, default: 3600, description: 'after HTTP errors the interval doubles up to this' }),
  replayDir: Type.String({ default: '', description: 'read telegrams from this folder instead of polling (drills, tests)' }),
  areas: Type.Array(OfficialAreaSchema, { default: [] })
}, { additionalProperties: false, default: {} })

export type OfficialConfig = Static<typeof OfficialSchema>
export type OfficialArea = Static<typeof OfficialAreaSchema>
