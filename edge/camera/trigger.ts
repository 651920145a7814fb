import { createRng } from '../../core/random.js'
import type { SyntheticSubject } from './frame.js'

/**
 * Motion trigger of a PIR / frame-difference camera, and the simulated scene
 * in front of it.
 *
 * The scene is a sequence of animal visits: arrivals are a Poisson process
 * (exponential gaps, mean `meanVisitIntervalMs`), each visit lasts a uniform
 * 0.5..1.5 × `visitMs`, and visits may overlap (a second animal). There is
 * motion while any visit lasts.
 *
 * The trigger fires at the first moment motion is present and the camera is
 * armed; after firing it stays off for `holdOffMs` (the "trigger interval" of
 * trail cameras, so one animal does not fill the card). Motion that is still
 * there when the hold-off ends fires the next burst at once; motion that came
 * and went during the hold-off is never seen. So a visit gets a burst at its
 * start (when armed) and one more per hold-off while it lasts.
 *
 * Everything is computed from the seed and the start time, never from the
 * wall clock: the same seed gives the same triggers, in tests and in replays.
 */
export interface SceneOptions {
  /** mean time between visit arrivals, ms */
  meanVisitIntervalMs: number
  /** mean visit duration, ms */
  visitMs: number
  /** the trigger is off this long after it fired, ms (> 0) */
  holdOffMs: number
  /** seed of the scene (core/random.ts) */
  seed: number
  /** the scene opens with a visit at its start (the demo shows a burst at once) */
  visitAtStart?: boolean
}

export interface Visit {
  /** 0, 1, … in order of arrival */
  index: number
  start: number
  end: number
  /** uniform 0..1 drawn for this visit: which frames of a folder it shows, where the animal walks */
  pick: number
}

export interface TriggerEvent {
  /** time the trigger fired = capture time of the burst's first frame, ms */
  at: number
  /** the visit whose motion fired it (the earliest one in view) */
  visit: Visit
  /** 0 = motion onset of this visit, 1, 2 … = re-triggers after a hold-off */
  n: number
}

export interface MotionTrigger {
  /** when the trigger fires next, ms */
  readonly nextAt: number
  /** every trigger due at or before `now`, oldest first; each is returned once */
  due(now: number): TriggerEvent[]
}

/** The visits of a simulated scene from `startMs` on, endless and deterministic. */
export function * poissonVisits (o: Pick<SceneOptions, 'meanVisitIntervalMs' | 'visitMs' | 'seed' | 'visitAtStart'>, startMs: number): Generator<Visit> {
  if (!(o.meanVisitIntervalMs > 0) || !(o.visitMs > 0)) throw new RangeError('scene needs meanVisitIntervalMs > 0 and visitMs > 0')
  const rng = createRng(o.seed)
  let arrival = startMs
  for (let index = 0; ; index++) {
    if (index > 0 || o.visitAtStart !== true) arrival += -Math.log(1 - rng.next()) * o.meanVisitIntervalMs
    const start = Math.round(arrival)
    const end = start + Math.max(1, Math.round(o.visitMs * (0.5 + rng.next())))
    yield { index, start, end, pick: rng.next() }
  }
}

/**
 * The trigger over any visits in order of start (the simulated scene, or
 * given ones in tests), armed from `startMs`.
 */
export function createMotionTrigger (visits: Iterator<Visit>, holdOffMs: number, startMs: number): MotionTrigger {
  if (!(holdOffMs > 0)) throw new RangeError('holdOffMs must be > 0, or a lasting motion would fire without end')
  /** visits pulled and not over when the trigger is next armed */
  let open: Visit[] = []
  let lastStart = -Infinity
  /** bursts fired per open visit */
  const fired = new Map<number, number>()
  let armedAt = startMs
  let exhausted = false

  function pull (): boolean {
    const r = visits.next()
    if (r.done === true) { exhausted = true; return false }
    if (r.value.start < lastStart) throw new RangeError(`visit ${r.value.index} starts before the one before it`)
    lastStart = r.value.start
    open.push(r.value)
    return true
  }

  /**
   * Earliest time ≥ armedAt with motion: visits come in order of start, so it
   * is the first visit not over at armedAt — a later one cannot start earlier.
   */
  function compute (): TriggerEvent | undefined {
    for (;;) {
      for (const v of open) if (v.end <= armedAt) fired.delete(v.index)
      open = open.filter(v => v.end > armedAt)
      const v = open[0]
      if (v !== undefined) {
        return { at: Math.max(armedAt, v.start), visit: v, n: fired.get(v.index) ?? 0 }
      }
      if (exhausted || !pull()) return undefined
    }
  }

  let next = compute()
  return {
    get nextAt () { return next?.at ?? Infinity },
    due (now) {
      const out: TriggerEvent[] = []
      while (next !== undefined && next.at <= now) {
        out.push(next)
        fired.set(next.visit.index, next.n + 1)
        armedAt = next.at + holdOffMs
        next = compute()
      }
      return out
    }
  }
}

/**
 * Where the visiting animal is in a generated frame at time `t`: it forages
 * back and forth across the field (6 s period, lane and phase from the
 * visit's pick), fast enough that the frames of a burst show it at different
 * places, as the burst motion stage expects of a real animal.
 */
export function animalAt (v: Visit, t: number): SyntheticSubject {
  const phase = 2 * Math.PI * ((t - v.start) / 6000 + v.pick)
  return { x: 0.5 + 0.3 * Math.sin(phase), y: 0.6 + 0.25 * v.pick, r: 0.07 }
}
