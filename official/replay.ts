import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Receiver, ReceiveResult } from './receiver.js'

/**
 * Replay mode: the telegrams in a folder, in file-name order (JMA names files by time,
 * yyyymmddhhmmss_…; a drill folder numbers them), through the same receiver as the poller.
 * Atom feeds in the folder are skipped; everything else is a telegram and is checked as one.
 */
export function telegramFiles (dir: string): string[] {
  return readdirSync(dir)
    .filter(n => n.toLowerCase().endsWith('.xml') && statSync(join(dir, n)).isFile())
    .sort()
}

export function replayFolder (dir: string, receiver: Receiver, { maxBytes }: { maxBytes: number }): Array<{ file: string } & ReceiveResult> {
  const out: Array<{ file: string } & ReceiveResult> = []
  for (const file of telegramFiles(dir)) {
    const path = join(dir, file)
    if (statSync(path).size > maxBytes) {
      receiver.refuse(`file:${path}`, 'MIMAMORI_ERR_OFFICIAL_TOO_LARGE', statSync(path).size)
      out.push({ file, id: '', outcome: 'refused', errorCode: 'MIMAMORI_ERR_OFFICIAL_TOO_LARGE', changed: [] })
      continue
    }
    const bytes = readFileSync(path)
    // a saved Atom feed is not a telegram: skipped, not refused
    if (bytes.subarray(0, 512).toString('utf8').includes('http://www.w3.org/2005/Atom')) continue
    out.push({ file, ...receiver.receive(bytes, `file:${path}`) })
  }
  return out
}
