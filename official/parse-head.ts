import { MimamoriError } from '../core/errors.js'
import { child, text, type XmlNode } from './safe-xml.js'
import type { InfoType, TelegramHead } from './types.js'

const INFO_TYPES = new Set(['発表', '訂正', '取消'])

function time (v: string | undefined, what: string, required: boolean): number | null {
  if (v === undefined || v === '') {
    if (required) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED', `telegram has no ${what}`)
    return null
  }
  const t = Date.parse(v)
  if (!Number.isFinite(t)) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED', `${what} is not a date: ${v}`)
  return t
}

/** Control and Head: what every JMA telegram carries, whatever its kind. */
export function parseHead (report: XmlNode): TelegramHead {
  const control = child(report, 'Control')
  const head = child(report, 'Head')
  const infoType = text(head?.InfoType) ?? ''
  if (!INFO_TYPES.has(infoType)) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED', `unknown InfoType ${JSON.stringify(infoType)}`)
  const infoKind = text(head?.InfoKind)
  if (infoKind === undefined || infoKind === '') throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_UNSUPPORTED', 'telegram has no Head/InfoKind')
  return {
    infoKind,
    infoKindVersion: text(head?.InfoKindVersion) ?? '',
    controlTitle: text(control?.Title) ?? '',
    status: text(control?.Status) ?? '',
    editorialOffice: text(control?.EditorialOffice) ?? '',
    publishingOffice: text(control?.PublishingOffice) ?? '',
    dateTime: time(text(control?.DateTime), 'Control/DateTime', true)!,
    reportDateTime: time(text(head?.ReportDateTime), 'Head/ReportDateTime', true)!,
    targetDateTime: time(text(head?.TargetDateTime), 'Head/TargetDateTime', false),
    eventId: text(head?.EventID) ?? '',
    infoType: infoType as InfoType,
    serial: text(head?.Serial) ?? '',
    headTitle: text(head?.Title) ?? '',
    headline: text(child(head, 'Headline')?.Text) ?? ''
  }
}
