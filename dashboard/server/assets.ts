import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import { PAGES, renderPage, type PageSpec } from './pages.js'

/** vendored browser libraries, served from node_modules at a versioned path */
const VENDOR: Array<{ name: string, dir: string }> = [
  { name: 'leaflet', dir: 'dist' },
  { name: 'uplot', dir: 'dist' }
]

/** where tsc puts the page modules inside dist/web */
const PAGE_DIR = 'dashboard/web/src'

const IMMUTABLE = { maxAge: '365d', immutable: true } as const

/** A content id of the compiled browser code: a new build gets new URLs, so old ones can be cached forever. */
function buildId (dir: string): string {
  const h = createHash('sha256')
  const walk = (d: string): void => {
    let names: string[]
    try {
      names = readdirSync(d).sort()
    } catch {
      return
    }
    for (const name of names) {
      const p = join(d, name)
      const st = statSync(p)
      if (st.isDirectory()) walk(p)
      else h.update(`${p}\0${st.size}\0${st.mtimeMs}\0`)
    }
  }
  walk(dir)
  return h.digest('hex').slice(0, 12)
}

/**
 * Static delivery: the HTML pages are rewritten once at start so they point at
 * `/app/<build>/…` and `/vendor/<lib>@<version>/…`, which are sent with
 * `immutable` (never revalidated); the pages and /style.css are `no-cache`
 * (a cheap 304 with the ETag). Relative imports inside the modules stay under
 * the build prefix, so the whole module graph is immutable without a bundler.
 */
export function registerAssets (parent: FastifyInstance, root: string): { build: string } {
  const web = join(root, 'dist', 'web')
  const build = buildId(web)
  void parent.register(async app => { files(app, root, web, build) })
  return { build }
}

function files (app: FastifyInstance, root: string, web: string, build: string): void {
  // pages, scripts and styles carry no data: public, so the login page can load; the data behind them is not
  app.addHook('onRoute', route => { route.config = { ...route.config, access: 'public' } })
  // tsconfig.web.json compiles from the repository root (the browser imports core/ and the server's
  // schema types), so the page modules sit at dist/web/dashboard/web/src and core/ beside them
  const rewrites: Array<[string, string]> = [['"/app/', `"/app/${build}/${PAGE_DIR}/`]]
  for (const v of VENDOR) {
    const version = (JSON.parse(readFileSync(join(root, 'node_modules', v.name, 'package.json'), 'utf8')) as { version: string }).version
    const prefix = `/vendor/${v.name}@${version}/`
    rewrites.push([`"/vendor/${v.name}/`, `"${prefix}`])
    void app.register(fastifyStatic, { root: join(root, 'node_modules', v.name, v.dir), prefix, decorateReply: false, ...IMMUTABLE })
    // the unversioned path stays for old pages and the tests; revalidated
    void app.register(fastifyStatic, { root: join(root, 'node_modules', v.name, v.dir), prefix: `/vendor/${v.name}/`, decorateReply: false, cacheControl: false, setHeaders: res => { res.setHeader('cache-control', 'no-cache') } })
  }
  void app.register(fastifyStatic, { root: web, prefix: `/app/${build}/`, decorateReply: false, ...IMMUTABLE })
  // unversioned: /app/main.js and its relative ../../../core/x.js (→ /core/x.js); revalidated
  const revalidate = { cacheControl: false, setHeaders: (res: { setHeader(name: string, value: string): unknown }) => { res.setHeader('cache-control', 'no-cache') } }
  void app.register(fastifyStatic, { root: join(web, PAGE_DIR), prefix: '/app/', decorateReply: false, ...revalidate })
  void app.register(fastifyStatic, { root: join(web, 'core'), prefix: '/core/', decorateReply: false, ...revalidate })
  // the API contract's runtime part (the role list) for the unversioned pages: ../../contract/x.js → /contract/x.js
  void app.register(fastifyStatic, { root: join(web, 'dashboard', 'contract'), prefix: '/contract/', decorateReply: false, ...revalidate })

  const publicDir = join(root, 'dashboard', 'web', 'public')
  const pages = new Map<string, string>()
  const page = (spec: PageSpec): string => {
    let html = pages.get(spec.file)
    if (html === undefined) {
      html = renderPage(spec, readFileSync(join(publicDir, spec.file), 'utf8'))
      for (const [from, to] of rewrites) html = html.replaceAll(from, to)
      pages.set(spec.file, html)
    }
    return html
  }
  for (const spec of PAGES) {
    const paths = spec.file === 'index.html' ? ['/', '/index.html'] : [`/${spec.file}`]
    for (const url of paths) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) =>
        await reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(page(spec)))
    }
  }
  // browsers ask for it on any page without a <link rel="icon"> (the 404 page of a redirect, the docs)
  app.get('/favicon.ico', { schema: { hide: true } }, async (_request, reply) => await reply.status(204).header('cache-control', 'public, max-age=86400').send())
  void app.register(fastifyStatic, { root: publicDir, prefix: '/', index: false, cacheControl: false, setHeaders: res => { res.setHeader('cache-control', 'no-cache') }, allowedPath: p => !p.endsWith('.html') })
}
