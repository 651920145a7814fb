import { createServer, connect as netConnect, type Server, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { coalesceWrites } from '../../broker/coalesce.js'
import { waitFor } from '../helpers/app.js'

/**
 * broker/coalesce.ts gathers a turn's chunks into one buffer, copying short ones
 * (≤ 32 bytes) byte by byte and short ASCII strings character by character. Over a
 * real TCP connection, whatever mix of chunks is written must arrive byte for byte
 * and in order: tiny buffers, ASCII and non-ASCII strings, other encodings, chunks
 * that bypass the gathering, writes with a callback, and more in one turn
 * than the high-water mark.
 */
describe('broker: gathered socket writes arrive byte for byte', () => {
  let server: Server | undefined
  const sockets: Socket[] = []
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy()
    await new Promise<void>(resolve => { server === undefined ? resolve() : server.close(() => { resolve() }) })
    server = undefined
  })

  /** a connected pair: the sending side gathered, and what the other side received */
  async function pair (): Promise<{ out: Socket, received: () => Buffer }> {
    const chunks: Buffer[] = []
    const accepted = new Promise<Socket>(resolve => {
      server = createServer(s => { sockets.push(s); s.on('data', (d: Buffer) => { chunks.push(d) }); resolve(s) })
    })
    await new Promise<void>(resolve => { server!.listen(0, '127.0.0.1', resolve) })
    const port = (server!.address() as { port: number }).port
    const out = netConnect(port, '127.0.0.1')
    sockets.push(out)
    await new Promise<void>(resolve => out.once('connect', resolve))
    await accepted
    coalesceWrites(out)
    return { out, received: () => Buffer.concat(chunks) }
  }

  it('a mix of chunk kinds over several loop turns', async () => {
    const { out, received } = await pair()
    const expected: Buffer[] = []
    const put = (chunk: Buffer | string, encoding?: BufferEncoding): void => {
      expected.push(typeof chunk === 'string' ? Buffer.from(chunk, encoding ?? 'utf8') : Buffer.from(chunk))
      if (encoding === undefined) out.write(chunk)
      else out.write(chunk, encoding)
    }
    for (let turn = 0; turn < 20; turn++) {
      for (let i = 0; i < 200; i++) {
        put(Buffer.from([0x30 + (i % 16)])) // a header byte
        put(Buffer.from([i & 0x7f, turn])) // a length
        put(`bench/${turn}/${i}`) // a short ASCII topic
        put(i % 7 === 0 ? '水位/観測所' : 'mmr/v1/gauge/g-1/up') // non-ASCII falls back to the utf8 writer
        put(Buffer.alloc(11 + (i % 40), i)) // a payload, up to 50 bytes (both copy paths)
        if (i % 50 === 0) put('caf\u00e9', 'latin1') // another encoding
        if (i % 97 === 0) put(Buffer.alloc(9000, turn)) // bypasses the gathering, after what is gathered
      }
      const cbDone = new Promise<void>(resolve => {
        const tail = Buffer.from(`turn ${turn} end`)
        expected.push(tail)
        out.write(tail, () => { resolve() }) // a callback write flushes first
      })
      await cbDone
    }
    // 90 KB in one turn: past the high-water mark the gathered bytes are written at once, and gathering starts again
    for (let i = 0; i < 3000; i++) {
      const chunk = Buffer.alloc(30, i & 0xff)
      expected.push(chunk)
      out.write(chunk)
    }
    const all = Buffer.concat(expected)
    await waitFor(() => received().length >= all.length ? true : undefined, `${all.length} bytes (have ${received().length})`)
    expect(received().equals(all)).toBe(true)
  })

  it('back-pressure: a peer that stops reading gets false, then drain, and every byte', async () => {
    let peer: Socket | undefined
    const chunks: Buffer[] = []
    server = createServer(s => { sockets.push(s); peer = s; s.pause() })
    await new Promise<void>(resolve => { server!.listen(0, '127.0.0.1', resolve) })
    const out = netConnect((server.address() as { port: number }).port, '127.0.0.1')
    sockets.push(out)
    await new Promise<void>(resolve => out.once('connect', resolve))
    await waitFor(() => peer, 'the accepted socket')
    coalesceWrites(out)
    // one loop turn's worth of 30-byte chunks until the stream answers false (kernel buffers full)
    let sent = 0
    let answer = true
    while (answer && sent < 64 * 1024 * 1024) {
      for (let i = 0; i < 1000 && answer; i++) { answer = out.write(Buffer.alloc(30, sent % 251)); sent += 30 }
      await new Promise(resolve => setImmediate(resolve))
    }
    expect(answer).toBe(false)
    const drained = new Promise<void>(resolve => out.once('drain', resolve))
    peer!.on('data', (d: Buffer) => { chunks.push(d) })
    peer!.resume()
    await drained
    await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) >= sent ? true : undefined, `${sent} bytes`)
    const got = Buffer.concat(chunks)
    expect(got.length).toBe(sent)
    for (let at = 0; at < sent; at += 30) expect(got[at]).toBe(at % 251)
  })

  it('end() writes what is gathered first', async () => {
    const { out, received } = await pair()
    out.write(Buffer.from([1, 2, 3]))
    out.write('tail')
    out.end('!')
    await waitFor(() => received().length >= 8 ? true : undefined, 'the ended stream')
    expect(received().equals(Buffer.from([1, 2, 3, ...Buffer.from('tail!')]))).toBe(true)
  })
})
