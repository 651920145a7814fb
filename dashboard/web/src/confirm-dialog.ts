import { h } from './dom.js'

/**
 * A modal yes/no with our own wording (a native confirm() cannot be styled,
 * labelled in two languages or tested reliably). Resolves true only on the
 * explicit confirm button; Escape and the backdrop cancel.
 */
export async function confirmDialog (o: { title: string, message: string, confirm: string, cancel: string, danger?: boolean }): Promise<boolean> {
  const dialog = h('dialog', { class: 'advisory-dialog confirm-dialog', 'aria-labelledby': 'confirm-dialog-title' })
  const yes = h('button', { type: 'submit', value: 'yes', class: o.danger === true ? 'advisory-issue' : 'confirm-yes', id: 'confirm-yes' }, o.confirm)
  const no = h('button', { type: 'submit', value: 'no', class: 'confirm-no', id: 'confirm-no' }, o.cancel)
  dialog.append(h('form', { method: 'dialog' },
    h('h2', { id: 'confirm-dialog-title' }, o.title),
    h('p', { class: 'confirm-message' }, o.message),
    h('div', { class: 'advisory-buttons' }, no, yes)))
  document.body.append(dialog)
  dialog.showModal()
  no.focus()
  return await new Promise(resolve => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes')
      dialog.remove()
    }, { once: true })
  })
}
