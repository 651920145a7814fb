/**
 * GET /api/server-info (public): how this dashboard is served, so a page can say
 * what is missing (the hunter page warns that push and the home-screen app need
 * HTTPS). Types only: the browser bundle imports this file.
 */
export interface ServerInfo {
  /** this request arrived over HTTPS (TLS here, or X-Forwarded-Proto: https from a trusted proxy) */
  secure: boolean
  /** dashboard.host is not loopback: other machines on the network reach this server directly */
  networkBind: boolean
  /** dashboard.auth.demoLogin: sign-in is by the one-time link printed on the terminal that started mimamori */
  demo: boolean
}
