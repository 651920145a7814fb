import { lang } from './i18n.js'

/** A feature's own strings, each key with its Japanese and English text side by side. */
export type PairTable = Readonly<Record<string, { ja: string, en: string }>>

/** the key's text in the current language with `{name}` filled in; an unknown key shows as itself */
export function pairText (table: PairTable, key: string, vars: Record<string, string | number> = {}): string {
  const s = table[key]
  let text = s === undefined ? key : s[lang() === 'en' ? 'en' : 'ja']
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{${k}}`, String(v))
  return text
}

/** every message of one language (the copy test reads them all) */
export function pairMessages (table: PairTable, l: 'ja' | 'en'): Readonly<Record<string, string>> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, v[l]]))
}
