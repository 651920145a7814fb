import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { MimamoriError } from '../core/errors.js'
import type { ModelOutput, MonkeyModel, MonkeyModelOptions } from './types.js'

/** What a `vision.adapter` module exports (named `createModel`, or as its default export). */
export type CreateModel = (options: MonkeyModelOptions) => Promise<MonkeyModel<ModelOutput>> | MonkeyModel<ModelOutput>

/**
 * Loads a model adapter module inside a worker. It gets the same options as
 * the built-in model (model paths, thresholds, threads = 1) and must return
 * `{ name, analyse(images, ctx), close() }` (vision/types.ts).
 */
export async function loadModelAdapter (path: string, options: MonkeyModelOptions): Promise<MonkeyModel<ModelOutput>> {
  const file = resolve(path)
  if (!existsSync(file)) throw new MimamoriError('MIMAMORI_ERR_VISION', `model adapter ${file} not found`)
  let mod: { createModel?: unknown, default?: unknown }
  try {
    mod = await import(pathToFileURL(file).href) as typeof mod
  } catch (err) {
    throw new MimamoriError('MIMAMORI_ERR_VISION', `model adapter ${file} could not be loaded: ${(err as Error).message}`, { cause: err })
  }
  const create = (mod.createModel ?? mod.default) as CreateModel | undefined
  if (typeof create !== 'function') throw new MimamoriError('MIMAMORI_ERR_VISION', `model adapter ${file} exports no createModel(options)`)
  const model = await create(options)
  if (typeof model?.analyse !== 'function' || typeof model.close !== 'function' || typeof model.name !== 'string') {
    throw new MimamoriError('MIMAMORI_ERR_VISION', `model adapter ${file}: createModel() must return { name, analyse(images, ctx), close() }`)
  }
  return model
}
