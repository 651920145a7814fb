import { hostname, networkInterfaces } from 'node:os'

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])

/**
 * The host to print for dashboard.host: a wildcard bind is reached through this
 * machine's network address (what a phone on the LAN types), not "localhost".
 */
export function displayHost (host: string): string {
  if (WILDCARDS.has(host)) {
    const v4 = Object.values(networkInterfaces()).flat().find(i => i !== undefined && i.family === 'IPv4' && !i.internal)
    return v4?.address ?? hostname()
  }
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** a loopback host that reaches this bind from this machine (the demo link is opened here) */
export function loopbackHost (host: string): string {
  if (host === '::1' || host === '[::1]') return '[::1]'
  if (host === 'localhost' || host.startsWith('127.')) return host
  return '127.0.0.1'
}
