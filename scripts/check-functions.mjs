#!/usr/bin/env node
// Functions over the line limit (DEVELOPERS.md: "no function over ~120 lines"), measured with the
// TypeScript parser over every non-test source file: declarations, methods, arrows and function
// expressions alike, each counted from its first to its last line (nested functions count inside
// their parent too: a long factory closure is long however it is cut inside).
//   node scripts/check-functions.mjs [--max 120]    exits 1 when any function is over
import { readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { walk } from './lib/walk.mjs'
import ts from 'typescript'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const DIRS = ['core', 'codecs', 'store', 'vision', 'alerts', 'edge', 'broker', 'ingest', 'notify', 'dashboard', 'simulators', 'official', 'fleet', 'cli', 'bench', 'scripts']

function nameOf (node) {
  if (node.name !== undefined && ts.isIdentifier(node.name)) return node.name.text
  if (node.name !== undefined && ts.isPropertyName?.(node.name)) return node.name.getText()
  // const createX = (…) => …, { key: function … }
  const p = node.parent
  if (p !== undefined && ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return p.name.text
  if (p !== undefined && ts.isPropertyAssignment(p)) return p.name.getText()
  if (p !== undefined && ts.isCallExpression(p)) return `(callback of ${p.expression.getText().slice(0, 40)})`
  return '(anonymous)'
}

export function longFunctions (max = 120) {
  const found = []
  for (const file of DIRS.flatMap(d => walk(join(root, d)))) {
    const text = readFileSync(file, 'utf8')
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const visit = node => {
      if (ts.isFunctionLike(node) && node.body !== undefined) {
        const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line
        const end = sf.getLineAndCharacterOfPosition(node.getEnd()).line
        const lines = end - start + 1
        if (lines > max) found.push({ file: relative(root, file), line: start + 1, name: nameOf(node), lines })
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return found.sort((a, b) => b.lines - a.lines)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--max')
  const max = i > 0 ? Number(process.argv[i + 1]) : 120
  const found = longFunctions(max)
  for (const f of found) console.log(`${f.file}:${f.line} ${f.name} ${f.lines} lines`)
  console.log(`check-functions: ${found.length} functions over ${max} lines`)
  process.exit(found.length === 0 ? 0 : 1)
}
