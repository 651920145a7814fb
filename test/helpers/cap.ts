import { parseDocument } from 'htmlparser2'
import type { Element } from 'domhandler'

/**
 * Structural check of a CAP 1.2 <alert> against the OASIS schema (CAP-v1.2.xsd):
 * namespace, element order and cardinality of alert/info/area/parameter, the
 * enumerations, and the dateTime form (numeric offset; "Z" is not allowed).
 * htmlparser2 (xmlMode) comes with mailparser. Returns the problems found.
 */
export function capProblems (xml: string): string[] {
  const problems: string[] = []
  const doc = parseDocument(xml, { xmlMode: true })
  const root = doc.children.find((c): c is Element => c.type === 'tag')
  if (root?.name !== 'alert') return ['root element is not <alert>']
  if (root.attribs.xmlns !== 'urn:oasis:names:tc:emergency:cap:1.2') problems.push(`xmlns is ${root.attribs.xmlns}`)
  const kids = (e: Element): Element[] => e.children.filter((c): c is Element => c.type === 'tag')
  const text = (e: Element): string => e.children.map(c => ('data' in c ? String(c.data) : '')).join('')
  type Rule = [name: string, min: number, max: number, check?: (e: Element) => void]
  const sequence = (parent: Element, rules: Rule[]): void => {
    const list = kids(parent)
    let i = 0
    for (const [name, min, max, check] of rules) {
      let n = 0
      while (i < list.length && list[i]!.name === name) { check?.(list[i]!); i++; n++ }
      if (n < min) problems.push(`<${parent.name}> needs <${name}> (at least ${min}), found ${n}`)
      if (n > max) problems.push(`<${parent.name}> allows at most ${max} <${name}>`)
    }
    if (i < list.length) problems.push(`<${parent.name}>: unexpected or misplaced <${list[i]!.name}>`)
  }
  const oneOf = (values: string[]) => (e: Element): void => { if (!values.includes(text(e))) problems.push(`<${e.name}> ${text(e)} not in ${values.join('|')}`) }
  const dateTime = (e: Element): void => {
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$/.test(text(e))) problems.push(`<${e.name}> ${text(e)} is not a CAP dateTime`)
  }
  const nonEmpty = (e: Element): void => { if (text(e).trim() === '') problems.push(`<${e.name}> is empty`) }
  const pair = (e: Element): void => sequence(e, [['valueName', 1, 1, nonEmpty], ['value', 1, 1, nonEmpty]])
  const area = (e: Element): void => sequence(e, [
    ['areaDesc', 1, 1, nonEmpty], ['polygon', 0, Infinity], ['circle', 0, Infinity, c => { if (!/^-?\d+(\.\d+)?,-?\d+(\.\d+)? \d+(\.\d+)?$/.test(text(c))) problems.push(`<circle> ${text(c)}`) }],
    ['geocode', 0, Infinity, pair], ['altitude', 0, 1], ['ceiling', 0, 1]
  ])
  const info = (e: Element): void => sequence(e, [
    ['language', 0, 1], ['category', 1, Infinity, oneOf(['Geo', 'Met', 'Safety', 'Security', 'Rescue', 'Fire', 'Health', 'Env', 'Transport', 'Infra', 'CBRNE', 'Other'])],
    ['event', 1, 1, nonEmpty], ['responseType', 0, Infinity, oneOf(['Shelter', 'Evacuate', 'Prepare', 'Execute', 'Avoid', 'Monitor', 'Assess', 'AllClear', 'None'])],
    ['urgency', 1, 1, oneOf(['Immediate', 'Expected', 'Future', 'Past', 'Unknown'])],
    ['severity', 1, 1, oneOf(['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'])],
    ['certainty', 1, 1, oneOf(['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'])],
    ['audience', 0, 1], ['eventCode', 0, Infinity, pair], ['effective', 0, 1, dateTime], ['onset', 0, 1, dateTime], ['expires', 0, 1, dateTime],
    ['senderName', 0, 1], ['headline', 0, 1], ['description', 0, 1], ['instruction', 0, 1], ['web', 0, 1], ['contact', 0, 1],
    ['parameter', 0, Infinity, pair], ['resource', 0, Infinity], ['area', 0, Infinity, area]
  ])
  sequence(root, [
    ['identifier', 1, 1, e => { if (/[\s,<&]/.test(text(e)) || text(e) === '') problems.push(`identifier "${text(e)}" has spaces, commas or restricted characters`) }],
    ['sender', 1, 1, e => { if (/[\s,<&]/.test(text(e)) || text(e) === '') problems.push('sender has spaces, commas or restricted characters') }],
    ['sent', 1, 1, dateTime], ['status', 1, 1, oneOf(['Actual', 'Exercise', 'System', 'Test', 'Draft'])],
    ['msgType', 1, 1, oneOf(['Alert', 'Update', 'Cancel', 'Ack', 'Error'])], ['source', 0, 1],
    ['scope', 1, 1, oneOf(['Public', 'Restricted', 'Private'])], ['restriction', 0, 1], ['addresses', 0, 1], ['code', 0, Infinity],
    ['note', 0, 1], ['references', 0, 1], ['incidents', 0, 1], ['info', 0, Infinity, info]
  ])
  return problems
}

/** every element's text by name, for assertions */
export function capValues (xml: string, name: string): string[] {
  const out: string[] = []
  const walk = (nodes: ReturnType<typeof parseDocument>['children']): void => {
    for (const n of nodes) {
      if (n.type !== 'tag') continue
      const e = n as Element
      if (e.name === name) out.push(e.children.map(c => ('data' in c ? String(c.data) : '')).join(''))
      walk(e.children)
    }
  }
  walk(parseDocument(xml, { xmlMode: true }).children)
  return out
}
