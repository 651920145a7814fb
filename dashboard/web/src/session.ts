import type { Static } from 'typebox'
import type { MeBody, Role } from '../../contract/index.js'
import { ta } from './auth-i18n.js'
import { h } from './dom.js'
import { lang, onLangChange } from './i18n.js'

export type { Role }

/** GET /api/auth/me */
export type Me = Static<typeof MeBody>

let current: Me | undefined

export function currentUser (): Me | undefined {
  return current
}

/** staff and admins act on alerts and devices; researchers only read */
export function canAct (): boolean {
  return current?.role === 'admin' || current?.role === 'staff'
}

/** the header every state-changing request of this page sends (the server checks it against the session) */
export function csrfHeaders (): Record<string, string> {
  return current?.csrfToken == null ? {} : { 'x-csrf-token': current.csrfToken }
}

export function loginUrl (): string {
  return `/login.html?next=${encodeURIComponent(location.pathname + location.search)}`
}

/**
 * Who is signed in; without a session the page goes to the sign-in page
 * (resolves undefined, the caller stops). The demo signs in only through the
 * one-time link printed on the terminal (GET /api/auth/demo), never here.
 */
export async function requireSignIn (): Promise<Me | undefined> {
  const res = await fetch('/api/auth/me', { cache: 'no-store', headers: { accept: 'application/json' } })
  if (res.status === 401) {
    location.assign(loginUrl())
    return undefined
  }
  if (!res.ok) throw new Error(`/api/auth/me: ${res.status}`)
  current = await res.json() as Me
  return current
}

export async function signOut (): Promise<void> {
  await fetch('/api/auth/logout', { method: 'POST', headers: csrfHeaders() })
  current = undefined
  location.assign('/login.html')
}

/** own password: the current one, then a new one (≥ 10 characters); the session ends, so sign in again */
async function changePassword (): Promise<void> {
  const current = prompt(ta('password.current'))
  if (current === null || current === '') return
  const next = prompt(ta('password.new'))
  if (next === null || next === '') return
  const res = await fetch('/api/auth/password', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...csrfHeaders() },
    body: JSON.stringify({ current, password: next })
  })
  if (res.ok) {
    alert(ta('password.changed'))
    location.assign(loginUrl())
    return
  }
  const body = await res.json().catch(() => ({})) as { message?: string }
  alert(ta('password.failed', { message: body.message ?? String(res.status) }))
}

/**
 * The user chip (name, role, sign-out, admin link) in the header, and for the
 * demo a banner nobody can miss: this browser was signed in without a password.
 */
export function renderAccount (me: Me, tools: Element | null = document.querySelector('.header-tools')): void {
  const roleText = h('span', { class: 'account-role' })
  const out = h('button', { type: 'button', class: 'account-signout' })
  out.addEventListener('click', () => { void signOut() })
  const admin = me.role === 'admin' ? h('a', { class: 'header-link account-admin', href: '/admin.html' }) : null
  const fleet = me.role === 'admin' || me.role === 'staff' ? h('a', { class: 'header-link account-fleet', href: '/fleet.html' }) : null
  // the demo user has no password to change
  const password = me.via === 'session' ? h('button', { type: 'button', class: 'account-signout account-password' }) : null
  password?.addEventListener('click', () => { void changePassword() })
  const chip = h('span', { class: 'account', 'data-role': me.role }, h('span', { class: 'account-name' }, me.username), ' ', roleText, fleet, admin, password, out)
  tools?.prepend(chip)
  let banner: HTMLElement | null = null
  if (me.demo) {
    banner = h('div', { class: 'demo-banner', role: 'alert', id: 'demo-banner' })
    document.body.prepend(banner)
  }
  const relabel = (): void => {
    roleText.textContent = lang() === 'en' ? `(${ta(`role.${me.role}`)})` : `（${ta(`role.${me.role}`)}）`
    out.textContent = ta('signOut')
    if (admin !== null) admin.textContent = ta('admin.link')
    if (fleet !== null) fleet.textContent = ta('fleet.link')
    if (password !== null) password.textContent = ta('password.change')
    if (banner !== null) banner.textContent = ta('demo.banner', { user: me.username })
  }
  relabel()
  onLangChange(relabel)
}
