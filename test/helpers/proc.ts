import { readFileSync, readdirSync, readlinkSync } from 'node:fs'

/** Inodes of the sockets listening on `port` (any local address, IPv4 or IPv6), from /proc/net. */
function listeningInodes (port: number): Set<string> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0')
  const inodes = new Set<string>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try { text = readFileSync(table, 'utf8') } catch { continue }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      // local_address is HEXIP:HEXPORT, st 0A is LISTEN, inode is the 10th column
      if (f[1]?.endsWith(`:${hex}`) === true && f[3] === '0A' && f[9] !== undefined) inodes.add(f[9])
    }
  }
  return inodes
}

/**
 * Whether process `pid` itself holds the listening socket on `port`: a probe
 * that merely gets an answer on the port may be talking to whoever took the
 * port between freePort() and the bind.
 */
export function listensOn (pid: number | undefined, port: number): boolean {
  if (pid === undefined) return false
  const inodes = listeningInodes(port)
  if (inodes.size === 0) return false
  let fds: string[]
  try { fds = readdirSync(`/proc/${pid}/fd`) } catch { return false }
  for (const fd of fds) {
    let target = ''
    try { target = readlinkSync(`/proc/${pid}/fd/${fd}`) } catch { continue }
    const m = /^socket:\[(\d+)\]$/.exec(target)
    if (m?.[1] !== undefined && inodes.has(m[1])) return true
  }
  return false
}
