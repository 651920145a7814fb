import { ta, type AuthKey } from './auth-i18n.js'
import { startSignedInPage } from './page-start.js'
import { byId, h, setTexts } from './dom.js'
import { formatDateTime } from './format.js'
import { onLangChange } from './i18n.js'
import { requestJson } from './request.js'
import type { Static } from 'typebox'
import type { AuditBody, TokenBody, UserBody } from '../../contract/index.js'
import { ROLES } from '../../contract/roles.js'

/**
 * /admin.html (admins): users (add, disable/enable, reset password), API tokens
 * (issue, revoke) and the audit log. Every string from the server goes in as text.
 */
type UserRow = Static<typeof UserBody>
type TokenRow = Static<typeof TokenBody>
type AuditRow = Static<typeof AuditBody>

const errorBox = byId('admin-error')

async function api<T> (url: string, init: { method?: string, body?: unknown } = {}): Promise<T> {
  const res = await requestJson(url, init)
  if (!res.ok) {
    const body = await res.json().catch(() => ({})) as { message?: string }
    throw new Error(body.message ?? String(res.status))
  }
  return (res.status === 204 ? undefined : await res.json()) as T
}

function showError (err: unknown): void {
  errorBox.hidden = err === null
  errorBox.textContent = err === null ? '' : ta('admin.error', { message: (err as Error).message })
}

async function run (action: () => Promise<unknown>): Promise<void> {
  try {
    await action()
    showError(null)
  } catch (err) {
    showError(err)
  }
  await refresh()
}

function head (...keys: AuthKey[]): HTMLTableSectionElement {
  return h('thead', {}, h('tr', {}, ...keys.map(k => h('th', {}, ta(k)))))
}

function field (label: AuthKey, input: HTMLInputElement | HTMLSelectElement): HTMLLabelElement {
  return h('label', {}, ta(label), input)
}

function renderUsers (users: UserRow[]): void {
  byId('users-table').replaceChildren(
    head('admin.username', 'admin.role', 'admin.hunterId', 'admin.state.enabled'),
    h('tbody', {}, ...users.map(u => {
      const toggle = h('button', { type: 'button' }, ta(u.disabled ? 'admin.enable' : 'admin.disable'))
      toggle.addEventListener('click', () => { void run(async () => await api(`/api/admin/users/${encodeURIComponent(u.username)}/${u.disabled ? 'enable' : 'disable'}`, { method: 'POST' })) })
      const reset = h('button', { type: 'button' }, ta('admin.resetPassword'))
      reset.addEventListener('click', () => {
        const password = prompt(ta('admin.newPassword', { user: u.username }))
        if (password !== null && password !== '') void run(async () => await api(`/api/admin/users/${encodeURIComponent(u.username)}/password`, { method: 'POST', body: { password } }))
      })
      // a sign-in lock after failed guesses: only new clients are refused; the admin lifts it here (audited)
      const lock = u.locked ? [' ', ta('admin.state.locked'), ' ', unlockButton(u.username)] : []
      return h('tr', { 'data-username': u.username },
        h('td', {}, u.username), h('td', {}, ta(`role.${u.role}`)), h('td', {}, u.hunterId ?? ''),
        h('td', {}, ta(u.disabled ? 'admin.state.disabled' : 'admin.state.enabled'), ...lock, ' ', toggle, ' ', reset))
    })))
}

function unlockButton (username: string): HTMLButtonElement {
  const b = h('button', { type: 'button', class: 'unlock' }, ta('admin.unlock'))
  b.addEventListener('click', () => { void run(async () => await api(`/api/admin/users/${encodeURIComponent(username)}/unlock`, { method: 'POST' })) })
  return b
}

function renderUserForm (): void {
  const form = byId<HTMLFormElement>('user-form')
  const username = h('input', { name: 'username', required: true, maxlength: 64, autocomplete: 'off' })
  const role = h('select', { name: 'role' }, ...ROLES.map(r => h('option', { value: r }, ta(`role.${r}`))))
  const password = h('input', { name: 'password', type: 'password', required: true, minlength: 10, autocomplete: 'new-password' })
  const hunterId = h('input', { name: 'hunterId', maxlength: 64 })
  form.replaceChildren(h('strong', {}, ta('admin.addUser')), field('admin.username', username), field('admin.role', role), field('admin.password', password), field('admin.hunterId', hunterId), h('button', { type: 'submit' }, ta('admin.add')))
  form.onsubmit = ev => {
    ev.preventDefault()
    const body = { username: username.value.trim(), role: role.value, password: password.value, ...(hunterId.value.trim() === '' ? {} : { hunterId: hunterId.value.trim() }) }
    void run(async () => { await api('/api/admin/users', { method: 'POST', body }); form.reset() })
  }
}

function renderTokens (tokens: TokenRow[]): void {
  byId('tokens-table').replaceChildren(
    head('admin.tokenName', 'admin.tokenScope', 'admin.tokenDays', 'admin.state.enabled'),
    h('tbody', {}, ...tokens.map(tk => {
      const revoke = tk.revoked ? null : h('button', { type: 'button' }, ta('admin.revoke'))
      revoke?.addEventListener('click', () => { void run(async () => await api(`/api/admin/tokens/${encodeURIComponent(tk.id)}`, { method: 'DELETE' })) })
      return h('tr', {}, h('td', {}, `${tk.name} (${tk.id})`), h('td', {}, tk.scope), h('td', {}, formatDateTime(tk.expiresAt)),
        h('td', {}, ta(tk.revoked ? 'admin.state.disabled' : 'admin.state.enabled'), ' ', revoke))
    })))
}

function renderTokenForm (): void {
  const form = byId<HTMLFormElement>('token-form')
  const shown = byId('token-shown')
  const username = h('input', { name: 'username', required: true, maxlength: 64 })
  const name = h('input', { name: 'name', required: true, maxlength: 100 })
  const scope = h('select', { name: 'scope' }, h('option', { value: 'read' }, 'read'), h('option', { value: 'write' }, 'write'))
  const days = h('input', { name: 'days', type: 'number', min: 1, max: 366, value: 90 })
  form.replaceChildren(field('admin.tokenUser', username), field('admin.tokenName', name), field('admin.tokenScope', scope), field('admin.tokenDays', days), h('button', { type: 'submit' }, ta('admin.createToken')))
  form.onsubmit = ev => {
    ev.preventDefault()
    void run(async () => {
      const r = await api<{ token: string }>('/api/admin/tokens', { method: 'POST', body: { username: username.value.trim(), name: name.value.trim(), scope: scope.value, days: Number(days.value) } })
      shown.hidden = false
      shown.textContent = `${ta('admin.tokenShown')} ${r.token}`
      form.reset()
    })
  }
}

function renderAudit (rows: AuditRow[]): void {
  byId('audit-table').replaceChildren(
    head('admin.at', 'admin.actor', 'admin.from', 'admin.action', 'admin.subject', 'admin.detail'),
    h('tbody', {}, ...rows.map(r => h('tr', { 'data-action': r.action },
      h('td', {}, formatDateTime(r.at)),
      h('td', {}, r.actor === null ? '—' : `${r.actor} (${r.role ?? ''}${r.via === null ? '' : `, ${r.via}`})`),
      h('td', {}, r.ip ?? ''),
      h('td', {}, r.action),
      h('td', {}, r.subject ?? ''),
      h('td', { class: 'detail' }, JSON.stringify(r.detail))))))
}

async function refresh (): Promise<void> {
  try {
    const [users, tokens, audit] = await Promise.all([
      api<UserRow[]>('/api/admin/users'), api<TokenRow[]>('/api/admin/tokens'), api<AuditRow[]>('/api/admin/audit?limit=200')
    ])
    renderUsers(users)
    renderTokens(tokens)
    renderAudit(audit)
  } catch (err) {
    showError(err)
  }
}

function relabel (): void {
  setTexts({ 'admin-title': ta('admin.title'), 'users-heading': ta('admin.users'), 'tokens-heading': ta('admin.tokens'), 'audit-heading': ta('admin.audit') })
  renderUserForm()
  renderTokenForm()
}

async function main (): Promise<void> {
  const me = await startSignedInPage()
  if (me === undefined) return
  if (me.role !== 'admin') {
    showError(new Error(ta('admin.forbidden')))
    return
  }
  relabel()
  onLangChange(() => { relabel(); void refresh() })
  await refresh()
  document.body.dataset.ready = 'true'
}

void main()
