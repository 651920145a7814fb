/**
 * The row count a Parquet file says it holds (FileMetaData.num_rows in the footer),
 * so the export view reports the rows really written, not the server's estimate.
 * Reads just enough Thrift compact protocol to skip to field 3; null when the
 * bytes are not a Parquet file.
 */
export function parquetRows (file: Uint8Array): number | null {
  const n = file.length
  if (n < 12 || tail(file, 4) !== 'PAR1') return null
  const len = file[n - 8]! | (file[n - 7]! << 8) | (file[n - 6]! << 16) | (file[n - 5]! * 2 ** 24)
  const start = n - 8 - len
  if (len <= 0 || start < 4) return null
  const r = { buf: file, pos: start }
  try {
    let id = 0
    for (;;) {
      const head = byte(r)
      if (head === 0) return null // end of struct without num_rows
      const type = head & 0x0f
      const delta = head >> 4
      id = delta === 0 ? zigzag(varint(r)) : id + delta
      if (id === 3 && type === 6) return zigzag(varint(r))
      skip(r, type)
    }
  } catch {
    return null
  }
}

interface Reader { buf: Uint8Array, pos: number }

function tail (b: Uint8Array, k: number): string {
  return String.fromCharCode(...b.subarray(b.length - k))
}

function byte (r: Reader): number {
  if (r.pos >= r.buf.length) throw new RangeError('parquet footer ends early')
  return r.buf[r.pos++]!
}

/** unsigned LEB128 without 32-bit shifts (row counts may pass 2^31) */
function varint (r: Reader): number {
  let out = 0
  let scale = 1
  for (;;) {
    const b = byte(r)
    out += (b & 0x7f) * scale
    if ((b & 0x80) === 0) return out
    scale *= 128
  }
}

function zigzag (u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2
}

function skip (r: Reader, type: number): void {
  switch (type) {
    case 1: case 2: return // booleans live in the field header
    case 3: r.pos += 1; return
    case 4: case 5: case 6: varint(r); return
    case 7: r.pos += 8; return
    case 8: {
      // read the length first: `r.pos += varint(r)` would add it to the position before the length
      const length = varint(r)
      r.pos += length
      return
    }
    case 9: case 10: {
      const h = byte(r)
      const size = (h >> 4) === 15 ? varint(r) : h >> 4
      for (let i = 0; i < size; i++) {
        if ((h & 0x0f) === 1 || (h & 0x0f) === 2) r.pos += 1
        else skip(r, h & 0x0f)
      }
      return
    }
    case 11: {
      const size = varint(r)
      if (size === 0) return
      const kv = byte(r)
      for (let i = 0; i < size; i++) { skip(r, kv >> 4); skip(r, kv & 0x0f) }
      return
    }
    case 12: {
      let id = 0
      for (;;) {
        const head = byte(r)
        if (head === 0) return
        const delta = head >> 4
        id = delta === 0 ? zigzag(varint(r)) : id + delta
        skip(r, head & 0x0f)
      }
    }
    default: throw new RangeError(`thrift type ${type}`)
  }
}
