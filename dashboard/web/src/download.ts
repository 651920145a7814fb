import { parquetRows } from './parquet-rows.js'

export interface DownloadProgress { bytes: number, rows: number, estimate: number }

/**
 * Fetches an export and saves it, reporting progress as it arrives. The file
 * is assembled as a Blob (the browser may keep it on disk); rows are counted
 * from CSV line ends while it arrives; for Parquet the footer says how many rows
 * were written (the estimate is only for the progress bar).
 */
export async function download (url: string, onProgress: (p: DownloadProgress) => void, signal: AbortSignal): Promise<{ bytes: number, rows: number | null, file: string }> {
  const res = await fetch(url, { signal, cache: 'no-store' })
  if (!res.ok || res.body === null) {
    let message = `${res.status} ${res.statusText}`
    try {
      const body = await res.json() as { message?: unknown }
      if (typeof body.message === 'string') message = body.message
    } catch {
      // not JSON
    }
    throw new Error(message)
  }
  const estimate = Number(res.headers.get('x-mimamori-rows-estimate') ?? '0')
  const file = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? 'mimamori-export'
  const csv = (res.headers.get('content-type') ?? '').startsWith('text/csv')
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let bytes = 0
  let lines = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    chunks.push(value)
    bytes += value.byteLength
    if (csv) for (let i = 0; i < value.length; i++) if (value[i] === 10) lines++
    onProgress({ bytes, rows: csv ? Math.max(0, lines - 1) : 0, estimate })
  }
  const blob = new Blob(chunks as BlobPart[], { type: res.headers.get('content-type') ?? 'application/octet-stream' })
  const href = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = href
  a.download = file
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => { URL.revokeObjectURL(href) }, 60_000)
  return { bytes, rows: csv ? Math.max(0, lines - 1) : parquetRows(await footer(blob)), file }
}

/** the last 1 MiB holds a Parquet footer of any export we write */
async function footer (blob: Blob): Promise<Uint8Array> {
  return new Uint8Array(await blob.slice(Math.max(0, blob.size - 1_048_576)).arrayBuffer())
}

export function megabytes (bytes: number): string {
  return (bytes / 1_048_576).toFixed(bytes < 10_485_760 ? 2 : 1)
}
