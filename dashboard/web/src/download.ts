export interface DownloadProgress { bytes: number, rows: number, estimate: number }

/**
 * Fetches an export and saves it, reporting progress as it arrives. The file
 * is assembled as a Blob (the browser may keep it on disk); rows are counted
 * from CSV line ends, for Parquet the bytes stand in.
 */
export async function download (url: string, onProgress: (p: DownloadProgress) => void, signal: AbortSignal): Promise<{ bytes: number, rows: number, file: string }> {
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
  return { bytes, rows: csv ? Math.max(0, lines - 1) : estimate, file }
}

export function megabytes (bytes: number): string {
  return (bytes / 1_048_576).toFixed(bytes < 10_485_760 ? 2 : 1)
}
