import { MimamoriError } from '../core/errors.js'

/**
 * Reads a response body up to maxBytes: a Content-Length above it is refused before reading, and
 * a body that grows past it (no or a lying Content-Length) is cancelled as soon as it does, so a
 * 50 MB document costs at most maxBytes of memory.
 */
export async function readLimited (res: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel().catch(() => {})
    throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_TOO_LARGE', `document of ${declared} bytes exceeds the limit of ${maxBytes}`, { details: { size: declared, maxBytes } })
  }
  if (res.body === null) return new Uint8Array(0)
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > maxBytes) {
      await reader.cancel().catch(() => {})
      throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_TOO_LARGE', `document exceeds the limit of ${maxBytes} bytes`, { details: { size, maxBytes } })
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}
