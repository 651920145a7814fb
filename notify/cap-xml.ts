import { ADVISORY_NAMES } from './levels.js'
import { capIdentifier } from './message.js'
import type { Advisory } from './types.js'

export const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2'

export interface CapContext {
  sender: string
  senderName: string
  publicUrl: string
  timezone: string
}

export function xmlEscape (s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** CAP dateTime: local time with a numeric offset; CAP 1.2 forbids "Z" */
export function capTime (ms: number, timezone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(ms)
  const get = (t: string): string => parts.find(p => p.type === t)?.value ?? '00'
  const local = Date.UTC(Number(get('year')), Number(get('month')) - 1, Number(get('day')), Number(get('hour')), Number(get('minute')), Number(get('second')))
  const offsetMin = Math.round((local - Math.floor(ms / 1000) * 1000) / 60_000)
  const sign = offsetMin < 0 ? '-' : '+'
  const abs = Math.abs(offsetMin)
  return `${get('year')}-${get('month')}-${get('day')}T${get('hour')}:${get('minute')}:${get('second')}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`
}

const URGENCY: Record<3 | 4 | 5, string> = { 3: 'Expected', 4: 'Immediate', 5: 'Immediate' }
const SEVERITY: Record<3 | 4 | 5, string> = { 3: 'Severe', 4: 'Severe', 5: 'Extreme' }
const CERTAINTY: Record<3 | 4 | 5, string> = { 3: 'Likely', 4: 'Likely', 5: 'Observed' }
// 緊急安全確保: evacuating may already be too late; the instruction is to take the safest place at hand
const RESPONSE: Record<3 | 4 | 5, string> = { 3: 'Evacuate', 4: 'Evacuate', 5: 'Shelter' }

/**
 * One CAP 1.2 <alert> for one advisory version (element order as in the OASIS
 * schema). The MLIT level travels in <event>, <eventCode> and <parameter>;
 * an update or cancel references the message it replaces.
 */
export function capAlertXml (a: Advisory, sent: number, previous: { identifier: string, sent: number } | null, ctx: CapContext): string {
  const name = ADVISORY_NAMES[a.level]
  const msgType = a.status === 'cancelled' ? 'Cancel' : previous === null ? 'Alert' : 'Update'
  const e = xmlEscape
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<alert xmlns="${CAP_NS}">`,
    `  <identifier>${e(capIdentifier(a))}</identifier>`,
    `  <sender>${e(ctx.sender)}</sender>`,
    `  <sent>${capTime(sent, ctx.timezone)}</sent>`,
    `  <status>${a.drill ? 'Exercise' : 'Actual'}</status>`,
    `  <msgType>${msgType}</msgType>`,
    '  <source>mimamori</source>',
    '  <scope>Public</scope>',
    ...(a.drill ? ['  <note>訓練 (drill) — this is an exercise message</note>'] : []),
    ...(previous === null ? [] : [`  <references>${e(ctx.sender)},${e(previous.identifier)},${capTime(previous.sent, ctx.timezone)}</references>`]),
    `  <incidents>${e(a.id)}</incidents>`,
    '  <info>',
    '    <language>ja-JP</language>',
    '    <category>Met</category>',
    '    <category>Safety</category>',
    `    <event>${e(`${name.ja}（警戒レベル${a.level}）`)}</event>`,
    `    <responseType>${a.status === 'cancelled' ? 'AllClear' : RESPONSE[a.level]}</responseType>`,
    `    <urgency>${a.status === 'cancelled' ? 'Past' : URGENCY[a.level]}</urgency>`,
    `    <severity>${a.status === 'cancelled' ? 'Minor' : SEVERITY[a.level]}</severity>`,
    `    <certainty>${CERTAINTY[a.level]}</certainty>`,
    '    <eventCode>',
    '      <valueName>MLIT_ALERT_LEVEL</valueName>',
    `      <value>${a.level}</value>`,
    '    </eventCode>',
    `    <effective>${capTime(sent, ctx.timezone)}</effective>`,
    `    <senderName>${e(ctx.senderName)}</senderName>`,
    `    <headline>${e(`${a.drill ? '【訓練】' : ''}${a.status === 'cancelled' ? '【解除】' : ''}${name.ja}（警戒レベル${a.level}）${a.area}`)}</headline>`,
    `    <description>${e(description(a))}</description>`,
    `    <instruction>${e(instruction(a))}</instruction>`,
    `    <web>${e(`${ctx.publicUrl}/?advisory=${encodeURIComponent(a.id)}`)}</web>`,
    '    <parameter>',
    '      <valueName>MLIT_ALERT_LEVEL</valueName>',
    `      <value>${a.level}</value>`,
    '    </parameter>',
    '    <parameter>',
    '      <valueName>EVACUATION_INFORMATION</valueName>',
    `      <value>${e(name.ja)}</value>`,
    '    </parameter>',
    ...(a.river === null ? [] : ['    <parameter>', '      <valueName>RIVER</valueName>', `      <value>${e(a.river)}</value>`, '    </parameter>']),
    ...(a.stationId === null ? [] : ['    <parameter>', '      <valueName>STATION</valueName>', `      <value>${e(a.stationId)}</value>`, '    </parameter>']),
    ...jmaTelegrams(a, ctx.timezone).flatMap(v => ['    <parameter>', '      <valueName>JMA_TELEGRAM</valueName>', `      <value>${e(v)}</value>`, '    </parameter>']),
    '    <area>',
    `      <areaDesc>${e(a.area)}</areaDesc>`,
    ...(a.lat === null || a.lon === null ? [] : [`      <circle>${a.lat.toFixed(5)},${a.lon.toFixed(5)} ${((a.radiusM ?? 0) / 1000).toFixed(3)}</circle>`]),
    '    </area>',
    '  </info>',
    '</alert>',
    ''
  ]
  return lines.join('\n')
}

/** JMA's terms ask for the source wherever its information is used; a draft from 判断補助 already ends with it */
function description (a: Advisory): string {
  if (a.officialBasis == null || a.text.includes('出典：気象庁')) return a.text
  return `${a.text}\n出典：気象庁`
}

/**
 * The JMA telegrams a 判断補助 draft rests on. CAP 1.2 <references> may only name earlier CAP
 * messages, so each telegram goes in a parameter: EventID / report time / issuing office / 情報名
 * (the parts JMA identifies a telegram stream and its version by); one no longer stored by our id.
 */
function jmaTelegrams (a: Advisory, timezone: string): string[] {
  return (a.officialBasis?.telegrams ?? []).map(t => t.eventId === null && t.reportTime === null
    ? `id:${t.id}`
    : [t.eventId ?? '', t.reportTime === null ? '' : capTime(t.reportTime, timezone), t.office ?? '', t.infoKind ?? ''].join('/'))
}

function instruction (a: Advisory): string {
  if (a.status === 'cancelled') return '避難情報は解除されました。引き続き河川の情報に注意してください。'
  if (a.level === 5) return '命の危険があります。直ちに身の安全を確保してください。'
  if (a.level === 4) return '危険な場所から全員避難してください。'
  return '高齢者等は危険な場所から避難してください。その他の人も避難の準備をしてください。'
}

/** Atom index of the CAP messages (as OASIS cap-feeds: one entry per message, linked as application/cap+xml) */
export function capAtomFeed (entries: Array<{ identifier: string, sent: number, xml: string }>, ctx: CapContext): string {
  const e = xmlEscape
  const updated = new Date(entries[0]?.sent ?? 0).toISOString()
  const items = entries.map(x => {
    const title = /<headline>([^<]*)<\/headline>/.exec(x.xml)?.[1] ?? x.identifier
    const link = `${ctx.publicUrl}/api/cap/${encodeURIComponent(x.identifier)}.xml`
    return [
      '  <entry>',
      `    <id>urn:mimamori:cap:${e(x.identifier)}</id>`,
      `    <title>${title}</title>`,
      `    <updated>${new Date(x.sent).toISOString()}</updated>`,
      `    <author><name>${e(ctx.senderName)}</name></author>`,
      `    <link rel="alternate" type="application/cap+xml" href="${e(link)}"/>`,
      `    <summary>${title}</summary>`,
      '  </entry>'
    ].join('\n')
  })
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja-JP">',
    `  <id>urn:mimamori:cap:feed:${e(ctx.sender)}</id>`,
    '  <title>見守り 避難情報（CAP 1.2）</title>',
    `  <updated>${updated}</updated>`,
    `  <author><name>${e(ctx.senderName)}</name></author>`,
    `  <link rel="self" type="application/atom+xml" href="${e(`${ctx.publicUrl}/api/cap/feed.atom`)}"/>`,
    ...items,
    '</feed>',
    ''
  ].join('\n')
}
