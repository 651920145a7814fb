import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { MimamoriError } from '../core/errors.js'

/** One element as fast-xml-parser gives it: attributes under '@name', text under '#text', children by name. */
export type XmlNode = { [name: string]: unknown }

export const JMX_NS = 'http://xml.kishou.go.jp/jmaxml1/'
export const JMX_HEAD_NS = 'http://xml.kishou.go.jp/jmaxml1/informationBasis1/'
export const JMX_BODY_NS_PREFIX = 'http://xml.kishou.go.jp/jmaxml1/body/'
export const ATOM_NS = 'http://www.w3.org/2005/Atom'

export const DEFAULT_MAX_XML_BYTES = 4 * 1024 * 1024

// Elements that repeat in JMA telegrams and Atom feeds: always arrays, so a single child cannot change the shape.
const REPEATED = new Set(['Information', 'Item', 'Area', 'Warning', 'Station', 'Property', 'Kind', 'MeteorologicalInfos',
  'MeteorologicalInfo', 'TimeSeriesInfo', 'Observation', 'entry', 'link'])

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: false,
  // codes such as 0620300 must stay strings; numbers are converted where their meaning is known
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  // the five XML entities and character references only: a DOCTYPE never reaches the parser (below)
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => REPEATED.has(name)
})

// a DTD is the only way to declare entities (billion laughs) or reference external ones (file://, http://)
const DECLARATION = /<!\s*(DOCTYPE|ENTITY|ELEMENT|ATTLIST|NOTATION)/i
const NAMED_REF = /&([A-Za-z_][\w.-]*);/g
const BUILTIN = new Set(['lt', 'gt', 'amp', 'quot', 'apos'])

export interface SafeXmlOptions {
  maxBytes?: number
  /** what the document should be; checked against the root element and its namespace */
  expect: 'telegram' | 'feed'
}

/**
 * Parses a document from outside (JMA PULL, a replay folder, an upload) only after the checks
 * that keep it harmless: a size limit before any work, strict UTF-8, no DOCTYPE or entity
 * declaration at all, no entity references beyond the XML built-ins, well-formedness (a
 * truncated telegram fails here), and the root element and namespace JMA uses. Each refusal is
 * its own coded error; nothing is kept from a refused document.
 */
export function parseSafeXml (input: Uint8Array | string, { maxBytes = DEFAULT_MAX_XML_BYTES, expect }: SafeXmlOptions): XmlNode {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength
  if (size > maxBytes) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_TOO_LARGE', `document of ${size} bytes exceeds the limit of ${maxBytes}`, { details: { size, maxBytes } })
  let text: string
  if (typeof input === 'string') text = input
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input)
    } catch (err) {
      throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_MALFORMED', 'document is not valid UTF-8', { cause: err })
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1)
  const decl = DECLARATION.exec(text)
  if (decl !== null) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_DTD', `document contains <!${decl[1]!.toUpperCase()}>: refused`)
  for (const m of text.matchAll(NAMED_REF)) {
    if (!BUILTIN.has(m[1]!)) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_DTD', `undeclared entity &${m[1]!}; refused`)
  }
  const valid = XMLValidator.validate(text, { allowBooleanAttributes: false })
  if (valid !== true) {
    throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_MALFORMED', `not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`, { details: { line: valid.err.line, code: valid.err.code } })
  }
  let doc: XmlNode
  try {
    doc = parser.parse(text) as XmlNode
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_MALFORMED', `not well-formed XML: ${(err as Error).message}`, { cause: err })
  }
  checkRoot(doc, expect)
  return doc
}

function checkRoot (doc: XmlNode, expect: 'telegram' | 'feed'): void {
  const roots = Object.keys(doc).filter(k => !k.startsWith('?') && !k.startsWith('#'))
  const name = expect === 'telegram' ? 'Report' : 'feed'
  const ns = expect === 'telegram' ? JMX_NS : ATOM_NS
  const root = doc[name]
  if (roots.length !== 1 || root === undefined || typeof root !== 'object' || root === null) {
    throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_NAMESPACE', `expected one root element <${name}>, found ${roots.map(r => `<${r}>`).join(', ') || 'none'}`)
  }
  const xmlns = (root as XmlNode)['@xmlns']
  if (xmlns !== ns) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_NAMESPACE', `root <${name}> has namespace ${String(xmlns)}, expected ${ns}`)
  if (expect === 'telegram') {
    const r = root as XmlNode
    const head = r.Head as XmlNode | undefined
    if (r.Control === undefined || head === undefined) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_NAMESPACE', 'telegram lacks <Control> or <Head>')
    if (head['@xmlns'] !== JMX_HEAD_NS) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_NAMESPACE', `<Head> has namespace ${String(head['@xmlns'])}, expected ${JMX_HEAD_NS}`)
    const body = r.Body
    if (body !== undefined && body !== '') {
      const bns = typeof body === 'object' && body !== null ? (body as XmlNode)['@xmlns'] : undefined
      if (typeof bns !== 'string' || !bns.startsWith(JMX_BODY_NS_PREFIX)) throw new MimamoriError('MIMAMORI_ERR_OFFICIAL_NAMESPACE', `<Body> has namespace ${String(bns)}, expected ${JMX_BODY_NS_PREFIX}…`)
    }
  }
}

/** children as an array whatever the parser made of them */
export function arr (v: unknown): XmlNode[] {
  if (v === undefined || v === null || v === '') return []
  return (Array.isArray(v) ? v : [v]).filter((x): x is XmlNode => typeof x === 'object' && x !== null)
}

/** the text of an element (a string, or an element with attributes and '#text') */
export function text (v: unknown): string | undefined {
  if (Array.isArray(v)) return text(v[0])
  if (typeof v === 'string') return v
  if (typeof v === 'number') return String(v)
  if (typeof v === 'object' && v !== null) {
    const t = (v as XmlNode)['#text']
    return t === undefined ? undefined : String(t)
  }
  return undefined
}

export function attr (v: unknown, name: string): string | undefined {
  if (Array.isArray(v)) return attr(v[0], name)
  if (typeof v !== 'object' || v === null) return undefined
  const a = (v as XmlNode)[`@${name}`]
  return a === undefined ? undefined : String(a)
}

export function child (v: unknown, name: string): XmlNode | undefined {
  if (Array.isArray(v)) return child(v[0], name)
  if (typeof v !== 'object' || v === null) return undefined
  const c = (v as XmlNode)[name]
  if (Array.isArray(c)) return c[0] as XmlNode | undefined
  return typeof c === 'object' && c !== null ? c as XmlNode : undefined
}
