import type uPlot from 'uplot'

declare global {
  interface Window { uPlot?: typeof uPlot }
}

let loading: Promise<typeof uPlot> | undefined

/**
 * uPlot only when a hydrograph is first drawn, so the map's first load does not
 * carry it. The URL comes from <meta name="mimamori-uplot"> (versioned and
 * immutable once the server has rewritten the page); a same-origin script, so
 * the CSP needs no exception.
 */
export async function loadUplot (): Promise<typeof uPlot> {
  if (window.uPlot !== undefined) return window.uPlot
  loading ??= new Promise((resolve, reject) => {
    const base = document.querySelector<HTMLMetaElement>('meta[name="mimamori-uplot"]')?.content ?? '/vendor/uplot/'
    const css = document.createElement('link')
    css.rel = 'stylesheet'
    css.href = `${base}uPlot.min.css`
    document.head.append(css)
    const script = document.createElement('script')
    script.src = `${base}uPlot.iife.min.js`
    script.onload = () => { window.uPlot === undefined ? reject(new Error('uPlot did not load')) : resolve(window.uPlot) }
    script.onerror = () => { loading = undefined; reject(new Error('uPlot did not load')) }
    document.head.append(script)
  })
  return await loading
}
