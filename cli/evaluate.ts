import { mkdirSync, writeFileSync } from 'node:fs'
import { basename, join } from 'node:path'
import { parseArgs } from 'node:util'
import { MimamoriError } from '../core/errors.js'
import { evaluateAccuracy } from '../official/accuracy/metrics.js'
import { readSeriesCsv } from '../official/accuracy/series.js'
import { accuracySvg } from '../official/accuracy/svg.js'

const HELP = `mimamori evaluate — 精度評価: one of our gauges against a co-located reference series

  mimamori evaluate --ours ours.csv --reference mlit.csv [--from ISO] [--to ISO]
                    [--threshold 0.5 --threshold 1.2 …] [--max-lag-min 360] [--tolerance-min 180]
                    [--out DIR]

  Negative thresholds (levels below gauge zero) take the = form: --threshold=-0.3.
  Series: CSV time,level_m (ISO times) or 水文水質データベース / 川の防災情報 rows YYYY/MM/DD,HH:MM,value (JST).
  Prints the report as JSON; with --out writes evaluate.json and evaluate.svg there.`

/** `mimamori evaluate`: bias, RMSE, lag by cross-correlation, threshold crossings, missing share → JSON (+ SVG) */
export async function evaluateCommand (argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ours: { type: 'string' },
      reference: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      threshold: { type: 'string', multiple: true },
      'max-lag-min': { type: 'string' },
      'tolerance-min': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' }
    }
  })
  if (values.help === true) { console.log(HELP); return 0 }
  if (values.ours === undefined || values.reference === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--ours and --reference are required\n${HELP}`)
  const time = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined
    const t = Date.parse(s)
    if (!Number.isFinite(t)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${what} is not a date: ${s}`)
    return t
  }
  const num = (s: string | undefined, what: string): number | undefined => {
    if (s === undefined) return undefined
    const n = Number(s)
    if (!Number.isFinite(n)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${what} is not a number: ${s}`)
    return n
  }
  const ours = readSeriesCsv(values.ours)
  const reference = readSeriesCsv(values.reference)
  const maxLag = num(values['max-lag-min'], '--max-lag-min')
  const tol = num(values['tolerance-min'], '--tolerance-min')
  const report = evaluateAccuracy(ours, reference, {
    from: time(values.from, '--from'),
    to: time(values.to, '--to'),
    thresholds: (values.threshold ?? []).map(t => num(t, '--threshold')!),
    maxLagMs: maxLag === undefined ? undefined : maxLag * 60_000,
    crossingToleranceMs: tol === undefined ? undefined : tol * 60_000
  })
  const labels = { ours: basename(values.ours), reference: basename(values.reference) }
  const json = JSON.stringify({ ours: labels.ours, reference: labels.reference, ...report }, null, 2)
  if (values.out !== undefined) {
    mkdirSync(values.out, { recursive: true })
    writeFileSync(join(values.out, 'evaluate.json'), json + '\n')
    writeFileSync(join(values.out, 'evaluate.svg'), accuracySvg(ours, reference, report, labels))
  }
  console.log(json)
  return 0
}
