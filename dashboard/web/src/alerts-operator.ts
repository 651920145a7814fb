import { byId } from './dom.js'
import { t } from './i18n.js'
import { currentUser } from './session.js'

const STORAGE_KEY = 'mimamori.operator'
const MAX_LEN = 128

function readStored (): string | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY)?.trim() ?? ''
    return v === '' ? null : v
  } catch {
    return null
  }
}

export interface Operator {
  /** the stored name, or null before anyone entered one */
  current(): string | null
  /** the stored name; asks for it first when there is none (or `force`); null when the user cancels */
  ask(force?: boolean): Promise<string | null>
  relabel(): void
}

/**
 * Who presses 確認 / 解除: asked once in `#operator-dialog`, kept in
 * localStorage (per browser, as staff share a console per desk), shown and
 * editable next to the alerts heading (`#operator-edit`).
 */
export function createOperator (): Operator {
  const dialog = byId<HTMLDialogElement>('operator-dialog')
  const form = byId<HTMLFormElement>('operator-form')
  const input = byId<HTMLInputElement>('operator-name')
  const cancel = byId<HTMLButtonElement>('operator-cancel')
  const edit = byId<HTMLButtonElement>('operator-edit')
  const label = byId('operator-label')
  // signed in: the account acts (the server records it whatever is typed); the typed name is for old setups
  const signedIn = currentUser()?.username
  let name = signedIn ?? readStored()
  let waiting: ((value: string | null) => void) | undefined
  if (signedIn !== undefined) {
    // the signed-in account acts, whatever is typed: a pencil that edits nothing is replaced by plain text
    const caption = edit.querySelector('.operator-caption')
    const fixed = document.createElement('span')
    fixed.id = 'operator-static'
    fixed.className = 'operator-static'
    fixed.append(...[caption, label].filter((n): n is Element => n !== null).flatMap((n, i) => i === 0 ? [n] : [' ', n]))
    edit.replaceWith(fixed)
  }

  input.maxLength = MAX_LEN

  function render (): void {
    label.textContent = name ?? t('operator.none')
    edit.dataset.set = name === null ? 'false' : 'true'
    edit.setAttribute('aria-label', t('operator.edit', { name: name ?? t('operator.none') }))
  }

  function finish (value: string | null): void {
    const done = waiting
    waiting = undefined
    if (dialog.open) dialog.close()
    done?.(value)
  }

  form.addEventListener('submit', ev => {
    ev.preventDefault()
    const value = input.value.trim()
    if (value === '') {
      input.setCustomValidity(t('operator.required'))
      input.reportValidity()
      return
    }
    name = value
    try {
      localStorage.setItem(STORAGE_KEY, value)
    } catch {
      // not persisted; holds for this page
    }
    render()
    finish(value)
  })
  input.addEventListener('input', () => { input.setCustomValidity('') })
  cancel.addEventListener('click', () => { finish(null) })
  // Escape closes the dialog without submitting
  dialog.addEventListener('close', () => { if (waiting !== undefined) finish(null) })
  edit.addEventListener('click', () => { void ask(true) })

  async function ask (force = false): Promise<string | null> {
    if (signedIn !== undefined) return signedIn
    if (!force && name !== null) return name
    if (waiting !== undefined) return await new Promise(resolve => { const prev = waiting; waiting = v => { prev?.(v); resolve(v) } })
    input.value = name ?? ''
    input.setCustomValidity('')
    const result = new Promise<string | null>(resolve => { waiting = resolve })
    dialog.showModal()
    input.focus()
    input.select()
    return await result
  }

  render()
  return { current: () => name, ask, relabel: render }
}
