import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { PAGES, renderPage } from '../../dashboard/server/pages.js'

const publicDir = join(import.meta.dirname, '..', '..', 'dashboard', 'web', 'public')

describe('dashboard pages from the shared head and toggle', () => {
  it('has a page spec for every body fragment in web/public', () => {
    const files = readdirSync(publicDir).filter(f => f.endsWith('.html')).sort()
    expect(PAGES.map(p => p.file).sort()).toEqual(files)
  })

  it('renders each page as one Japanese document with its own head, body and a language toggle', () => {
    for (const spec of PAGES) {
      const html = renderPage(spec, readFileSync(join(publicDir, spec.file), 'utf8'))
      expect(html.startsWith('<!doctype html>\n<html lang="ja"'), spec.file).toBe(true)
      expect(html.match(/<title>/g), spec.file).toHaveLength(1)
      expect(html, spec.file).toContain(`<title>見守り mimamori — ${spec.title}</title>`)
      expect(html.match(/<\/head>\n<body[ >]/g), spec.file).toHaveLength(1)
      expect(html.match(/id="lang-toggle"/g), spec.file).toHaveLength(1)
      expect(html, spec.file).toContain('data-lang="en" lang="en" aria-pressed="false">English</button>\n      </div>\n    </div>\n  </header>\n')
      expect(html, spec.file).not.toContain('<!--#')
      expect(html.trimEnd().endsWith('</html>'), spec.file).toBe(true)
      // one page module each, so the CSP's script-src 'self' covers everything it loads
      expect(html.match(/<script type="module" src="\/app\/[a-z]+\.js"><\/script>/g), spec.file).toHaveLength(1)
      expect(html, spec.file).not.toMatch(/<script>|\son[a-z]+="/)
    }
  })

  it('keeps the map page\'s button ids and the translated group label where the pages use them', () => {
    const render = (file: string): string => {
      const spec = PAGES.find(p => p.file === file)
      if (spec === undefined) throw new Error(file)
      return renderPage(spec, readFileSync(join(publicDir, file), 'utf8'))
    }
    expect(render('index.html')).toContain('<button type="button" id="lang-ja" data-lang="ja"')
    expect(render('index.html')).toContain('data-i18n-aria-label="lang.group"')
    expect(render('hunter.html')).toContain('<html lang="ja" data-title-key="hunter.docTitle">')
    expect(render('login.html')).not.toContain('id="lang-ja"')
    expect(render('login.html')).toContain('<link rel="icon" href="data:,">')
  })
})
