import { describe, expect, it } from 'vitest'
import { capAlertXml } from '../../notify/cap-xml.js'
import type { Advisory } from '../../notify/types.js'
import { capProblems, capValues } from '../helpers/cap.js'

const ctx = { sender: 'mimamori@example.lg.jp', senderName: '見守り市', publicUrl: 'https://example.lg.jp', timezone: 'Asia/Tokyo' }
const base: Advisory = {
  id: 'adv-1', alertId: null, level: 4, area: '松前町', stationId: null, river: null, lat: null, lon: null, radiusM: null,
  status: 'issued', version: 1, headline: '避難指示（警戒レベル4）松前町', text: '松前町に避難指示（警戒レベル4）を発令します。',
  drill: false, createdBy: 'staff1', createdAt: 0, issuedBy: 'staff1', issuedAt: 0, updatedAt: 0, cancelledBy: null, cancelledAt: null
}

describe('CAP for an advisory drafted from 判断補助', () => {
  it('cites each JMA telegram in a JMA_TELEGRAM parameter (EventID/report time/office/情報名) and names the source; <references> stays for CAP messages', () => {
    const a: Advisory = {
      ...base,
      officialBasis: {
        areaCode: '0133100',
        telegrams: [
          { id: 'sha-a', infoKind: '土砂災害警戒情報', office: '函館地方気象台', eventId: '20170529190500_0133100', reportTime: Date.parse('2017-05-29T19:05:00+09:00'), headTitle: '渡島地方土砂災害警戒情報' },
          { id: 'sha-gone', infoKind: null, office: null, eventId: null, reportTime: null, headTitle: null }
        ]
      }
    }
    const xml = capAlertXml(a, Date.parse('2017-05-29T19:20:00+09:00'), null, ctx)
    expect(capProblems(xml)).toEqual([])
    expect(capValues(xml, 'references')).toEqual([])
    expect(xml.match(/<valueName>JMA_TELEGRAM<\/valueName>/g)).toHaveLength(2)
    expect(capValues(xml, 'value')).toEqual(expect.arrayContaining([
      '20170529190500_0133100/2017-05-29T19:05:00+09:00/函館地方気象台/土砂災害警戒情報',
      'id:sha-gone'
    ]))
    expect(capValues(xml, 'description')[0]).toContain('出典：気象庁')
  })

  it('an advisory not drafted from 判断補助 carries neither', () => {
    const xml = capAlertXml(base, 0, null, ctx)
    expect(xml).not.toContain('JMA_TELEGRAM')
    expect(xml).not.toContain('気象庁')
    expect(capProblems(xml)).toEqual([])
  })
})
