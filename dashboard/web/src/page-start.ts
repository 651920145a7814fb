import { applyStatic, setLang } from './i18n.js'
import { renderAccount, requireSignIn, type Me } from './session.js'

/**
 * What every signed-in page but the map does first: static texts, the 日本語 / English
 * buttons, the sign-in (the sign-in page when there is no session) and the account menu.
 */
export async function startSignedInPage (): Promise<Me | undefined> {
  applyStatic()
  for (const b of document.querySelectorAll<HTMLButtonElement>('#lang-toggle button[data-lang]')) {
    b.addEventListener('click', () => { setLang(b.dataset.lang === 'en' ? 'en' : 'ja') })
  }
  const me = await requireSignIn()
  if (me !== undefined) renderAccount(me)
  return me
}
