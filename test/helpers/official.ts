/** Telegrams for tests: a small valid one and the hostile documents the guard must refuse. */
export function minimalTelegram ({ infoType = '発表', serial = '1', report = '2026-08-12T15:00:00+09:00', kindCode = '3', status = '発表', area = '0620300', areaName = '鶴岡市' } = {}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<Report xmlns="http://xml.kishou.go.jp/jmaxml1/" xmlns:jmx="http://xml.kishou.go.jp/jmaxml1/">
<Control><Title>土砂災害警戒情報</Title><DateTime>${new Date(Date.parse(report)).toISOString()}</DateTime><Status>通常</Status><EditorialOffice>山形地方気象台</EditorialOffice><PublishingOffice>山形県 山形地方気象台</PublishingOffice></Control>
<Head xmlns="http://xml.kishou.go.jp/jmaxml1/informationBasis1/"><Title>山形県土砂災害警戒情報</Title><ReportDateTime>${report}</ReportDateTime><TargetDateTime>${report}</TargetDateTime><EventID/><InfoType>${infoType}</InfoType><Serial>${serial}</Serial><InfoKind>土砂災害警戒情報</InfoKind><InfoKindVersion>1.1_0</InfoKindVersion><Headline><Text>テスト &amp; 試験</Text></Headline></Head>
<Body xmlns="http://xml.kishou.go.jp/jmaxml1/body/meteorology1/"><TargetArea><Name>山形県</Name><Code>060000</Code></TargetArea>
<Warning type="土砂災害警戒情報"><Item><Kind><Name>${kindCode === '3' ? '警戒' : 'なし'}</Name><Code>${kindCode}</Code><Status>${status}</Status></Kind><Area><Name>${areaName}</Name><Code>${area}</Code></Area></Item></Warning></Body>
</Report>
`
}

export const hostile = {
  billionLaughs (): string {
    const ents = ['<!ENTITY lol "lol">']
    for (let i = 1; i <= 9; i++) ents.push(`<!ENTITY lol${i} "${`&lol${i === 1 ? '' : i - 1};`.repeat(10)}">`)
    return `<?xml version="1.0"?>\n<!DOCTYPE Report [\n${ents.join('\n')}\n]>\n` + minimalTelegram().replace(/^<\?xml[^>]*>\n/, '').replace('テスト &amp; 試験', '&lol9;')
  },
  externalEntity (file: string): string {
    return `<?xml version="1.0"?>\n<!DOCTYPE Report [ <!ENTITY xxe SYSTEM "file://${file}"> ]>\n` + minimalTelegram().replace(/^<\?xml[^>]*>\n/, '').replace('テスト &amp; 試験', '&xxe;')
  },
  huge (bytes: number): string {
    const head = minimalTelegram().replace('</Report>', '')
    return head + `<!-- ${'x'.repeat(Math.max(0, bytes - head.length))} -->` + '</Report>'
  },
  wrongNamespace (): string {
    return minimalTelegram().replace('<Report xmlns="http://xml.kishou.go.jp/jmaxml1/"', '<Report xmlns="http://example.com/not-jma/"')
  }
}
