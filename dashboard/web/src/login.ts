import type { ServerInfo } from '../../contract/server-info.js'
import { ta } from './auth-i18n.js'
import { byId } from './dom.js'
import { onLangChange, setLang } from './i18n.js'

/**
 * /login.html: name + password → POST /api/auth/login (the server sets the
 * session cookie), then back to the page that sent us here (same-site paths only).
 */
function target (): string {
  const next = new URLSearchParams(location.search).get('next') ?? '/'
  // only a path on this site: never `//other.example` or `https://…` (no open redirect)
  return /^\/(?![/\\])/.test(next) ? next : '/'
}

/** how this server is reached (GET /api/server-info); undefined until known */
let info: ServerInfo | undefined

function relabel (): void {
  document.title = `見守り mimamori — ${ta('login.title')}`
  // a password about to cross the network in clear, and the demo's link instead of a password
  const insecure = byId('login-insecure')
  insecure.hidden = !(info?.networkBind === true && !info.secure)
  insecure.textContent = insecure.hidden ? '' : ta('login.insecure')
  const demo = byId('login-demo')
  demo.hidden = info?.demo !== true
  demo.textContent = demo.hidden ? '' : ta('login.demo')
  byId('login-title').textContent = ta('login.title')
  byId('login-username-label').textContent = ta('login.username')
  byId('login-password-label').textContent = ta('login.password')
  byId('login-submit').textContent = ta('login.submit')
}

function main (): void {
  const form = byId<HTMLFormElement>('login-form')
  const username = byId<HTMLInputElement>('login-username')
  const password = byId<HTMLInputElement>('login-password')
  const error = byId('login-error')
  const submit = byId<HTMLButtonElement>('login-submit')
  const show = (message: string | null): void => {
    error.hidden = message === null
    error.textContent = message ?? ''
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('#lang-toggle button[data-lang]')) {
    button.addEventListener('click', () => { setLang(button.dataset.lang === 'en' ? 'en' : 'ja') })
  }
  onLangChange(relabel)
  relabel()
  username.focus()
  void fetch('/api/server-info', { headers: { accept: 'application/json' } })
    .then(async res => { if (res.ok) { info = await res.json() as ServerInfo; relabel() } })
    .catch(() => { /* the form works without it */ })

  form.addEventListener('submit', ev => {
    ev.preventDefault()
    if (username.value.trim() === '' || password.value === '') return
    submit.disabled = true
    void (async () => {
      try {
        const res = await fetch('/api/auth/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ username: username.value.trim(), password: password.value })
        })
        if (res.ok) {
          location.assign(target())
          return
        }
        const body = await res.json().catch(() => ({})) as { message?: string }
        if (res.status === 429) show(ta('login.throttled', { s: res.headers.get('retry-after') ?? '60' }))
        else if (res.status === 401) show(ta('login.wrong'))
        else show(ta('login.error', { message: body.message ?? String(res.status) }))
        password.value = ''
        password.focus()
      } catch (err) {
        show(ta('login.error', { message: (err as Error).message }))
      } finally {
        submit.disabled = false
      }
    })()
  })
}

main()
