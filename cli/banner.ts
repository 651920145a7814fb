import type { Config } from '../core/config/schema.js'
import type { AppInfo } from './app.js'

/**
 * What `mimamori start` prints once everything listens: the addresses to open,
 * how to sign in (the demo's one-time link, or the first-admin step only while
 * no admin exists) and, when the dashboard is on the network over plain HTTP,
 * the warning with the two ways out.
 */
export function startBanner (config: Config, info: AppInfo): string {
  const lines = [
    '',
    '  見守り mimamori is running',
    `  Dashboard (map):   ${info.dashboardUrl}`,
    `  MQTT (TCP):        ${info.mqttUrl}   port ${info.mqttPort}`,
    `  MQTT (WebSocket):  ${info.wsUrl}`,
    `  Demo fleet:        ${config.sim.enabled ? `${config.stations.length} gauges, ${config.cameras.length} cameras` : 'off'}`,
    ...signInLines(info),
    ...plainHttpWarning(config, info),
    '  Ctrl-C stops everything gracefully.',
    ''
  ]
  return lines.join('\n') + '\n'
}

function signInLines (info: AppInfo): string[] {
  const lines = info.demoLink !== undefined
    ? [
        '  Sign-in (DEMO):    open this link in a browser on this machine (one use; signs in as staff user "demo"; never in production):',
        `                     ${info.demoLink}`
      ]
    : [`  Sign-in:           ${info.dashboardUrl}/login.html`]
  if (!info.hasAdmin) lines.push('  First admin:       mimamori user add NAME --role admin')
  return lines
}

/** the warning for a network bind over plain HTTP (nothing when TLS is on, loopback-bound, or behind a trusted proxy) */
export function plainHttpWarning (config: Config, info: Pick<AppInfo, 'dashboardNetworkBind' | 'dashboardSecure'>): string[] {
  if (!info.dashboardNetworkBind || info.dashboardSecure || config.dashboard.trustProxy !== false) return []
  return [
    '',
    `  !!! WARNING: the dashboard is on the network (dashboard.host "${config.dashboard.host}") over plain HTTP.`,
    '      Passwords and session cookies cross the network readable, and phones get no push',
    '      notifications and no home-screen app (browsers allow them over HTTPS only). One step fixes it:',
    '      1. TLS here:       MIMAMORI_DASHBOARD__TLS__ENABLED=true MIMAMORI_DASHBOARD__TLS__CERT=cert.pem MIMAMORI_DASHBOARD__TLS__KEY=key.pem',
    '                         (config: dashboard.tls.enabled / .cert / .key, PEM files)',
    '      2. Reverse proxy:  MIMAMORI_DASHBOARD__HOST=127.0.0.1 MIMAMORI_DASHBOARD__TRUST_PROXY=127.0.0.1',
    '                         (config: dashboard.host / dashboard.trustProxy; the proxy, e.g. nginx, holds the certificate)',
    '      Details: docs/security.md',
    ''
  ]
}
