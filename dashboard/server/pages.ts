/**
 * The dashboard's HTML pages share one document head and one language toggle;
 * each file in web/public keeps only its body, and this module puts the page
 * together once at start (the result is byte for byte what the files used to hold).
 */

/** One page: its body fragment in web/public, its title and what its head loads, in order. */
export interface PageSpec {
  file: string
  /** after "見守り mimamori — " */
  title: string
  /** i18n key the page's script re-titles the document with */
  titleKey?: string
  /** the home-screen icon instead of the empty one */
  appIcon?: boolean
  /**
   * `/x.css` a stylesheet (`/x.css print` for print only), `/app/x.js` the page module,
   * any other `.js` a deferred classic script, `<…` a line as it stands
   */
  head: string[]
}

export const PAGES: readonly PageSpec[] = [
  { file: 'admin.html', title: '管理', head: ['/style.css', '/auth.css', '/app/admin.js'] },
  { file: 'fleet.html', title: '機器管理', head: ['/vendor/leaflet/leaflet.css', '/style.css', '/auth.css', '/fleet.css', '/vendor/leaflet/leaflet.js', '/app/fleet.js'] },
  {
    file: 'hunter.html',
    title: '猟友会 サル出没通知',
    titleKey: 'hunter.docTitle',
    appIcon: true,
    head: ['<link rel="apple-touch-icon" href="/icons/icon-192.png">', '<link rel="manifest" href="/manifest.webmanifest">', '/style.css', '/auth.css', '/notify.css', '/app/hunter.js']
  },
  {
    file: 'index.html',
    title: '河川水位',
    head: ['/vendor/leaflet/leaflet.css', '/style.css', '/auth.css', '<meta name="mimamori-uplot" content="/vendor/uplot/">', '/views.css', '/notify.css', '/print.css print', '/vendor/leaflet/leaflet.js', '/app/main.js']
  },
  { file: 'login.html', title: 'ログイン', head: ['/style.css', '/auth.css', '/app/login.js'] }
]

function headLine (item: string): string {
  if (item.startsWith('<')) return item
  const [url = '', media] = item.split(' ')
  if (url.endsWith('.css')) return `<link rel="stylesheet" href="${url}"${media === undefined ? '' : ` media="${media}"`}>`
  if (url.startsWith('/app/')) return `<script type="module" src="${url}"></script>`
  return `<script src="${url}" defer></script>`
}

function head (spec: PageSpec): string[] {
  return [
    '<!doctype html>',
    `<html lang="ja"${spec.titleKey === undefined ? '' : ` data-title-key="${spec.titleKey}"`}>`,
    '<head>',
    '  <meta charset="utf-8">',
    '  <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">',
    '  <meta name="color-scheme" content="light">',
    '  <meta name="theme-color" content="#0d2a43">',
    `  <title>見守り mimamori — ${spec.title}</title>`,
    spec.appIcon === true ? '  <link rel="icon" href="/icons/icon-192.png" type="image/png">' : '  <link rel="icon" href="data:,">',
    ...spec.head.map(item => `  ${headLine(item)}`),
    '</head>'
  ]
}

/**
 * `<!--#lang-toggle-->` closes the header with the language buttons; `i18n` lets the
 * page translate the group's label, `ids` gives the buttons ids the map page's script uses.
 */
function langToggle (flags: string[]): string[] {
  const label = flags.includes('i18n') ? ' data-i18n-aria-label="lang.group"' : ''
  const id = (lang: string): string => flags.includes('ids') ? ` id="lang-${lang}"` : ''
  return [
    `      <div id="lang-toggle" class="lang-toggle" role="group"${label} aria-label="表示言語">`,
    `        <button type="button"${id('ja')} data-lang="ja" lang="ja" aria-pressed="true">日本語</button>`,
    `        <button type="button"${id('en')} data-lang="en" lang="en" aria-pressed="false">English</button>`,
    '      </div>',
    '    </div>',
    '  </header>'
  ]
}

/** The whole page: the shared head, then the body fragment with its toggle put in. */
export function renderPage (spec: PageSpec, body: string): string {
  const expanded = body.replace(/^ *<!--#lang-toggle((?: [\w-]+)*) *-->$/gm, (_line, flags: string) =>
    langToggle(flags.trim().split(' ')).join('\n'))
  return `${head(spec).join('\n')}\n${expanded}`
}
