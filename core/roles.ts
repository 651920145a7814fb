/**
 * The roles, declared once: the dashboard's access lists
 * (dashboard/server/auth/access.ts), the notify config's recipients, the API
 * contract (dashboard/contract, which re-exports them) and the browser's
 * admin page all read this list. Plain TypeScript with no imports, so the
 * browser can load it as a module.
 */
export const ROLES = ['admin', 'staff', 'hunter', 'researcher'] as const

export type Role = typeof ROLES[number]

/** notification recipients: every role plus public outlets (a town LINE account, a website webhook) */
export const RECIPIENT_ROLES = [...ROLES, 'public'] as const

export type RecipientRole = typeof RECIPIENT_ROLES[number]
