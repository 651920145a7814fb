#!/usr/bin/env node
/**
 * `npm run model:fetch [-- --dir ./models] [--no-detector]`: downloads the
 * published models the wildlife detector uses and verifies their sha256
 * before putting them in place (a partial or altered file is never used).
 * Needs internet access to GitHub; offline sites copy the files by hand
 * (docs/wildlife.md lists names and hashes).
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

interface Asset { file: string, sha256: string, urls: string[] }

export const MODEL_ASSETS: Asset[] = [
  {
    file: 'mobilenetv2-12-int8.onnx',
    sha256: 'cc028fe6cae7bc11a4ff53cfc9b79c920e8be65ce33a904ec3e2a8f66d77f95f',
    urls: [
      'https://media.githubusercontent.com/media/onnx/models/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx',
      'https://github.com/onnx/models/raw/main/validated/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx',
      'https://github.com/onnx/models/raw/main/vision/classification/mobilenet/model/mobilenetv2-12-int8.onnx'
    ]
  },
  {
    file: 'imagenet_synset.txt',
    sha256: 'acf75ef0abe89694b19056e0796401068b459c457baa30335f240c7692857355',
    urls: ['https://raw.githubusercontent.com/webonnx/wonnx/c62f5d336c152102882a163ebc1eb18e63550de8/data/models/squeeze-labels.txt']
  }
]

export const DETECTOR_ASSETS: Asset[] = [
  {
    file: 'detector/yolox_nano.onnx',
    sha256: '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14',
    urls: ['https://github.com/Kazuhito00/YOLOX-ONNX-TFLite-Sample/raw/3d4f1119d0694200671c08069ecb847aa0d8495a/model/yolox_nano.onnx']
  }
]

const COCO = ['person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train', 'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
  'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow', 'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
  'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite', 'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
  'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon', 'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
  'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant', 'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
  'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink', 'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
  'hair drier', 'toothbrush']

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

async function fetchAsset (dir: string, a: Asset): Promise<void> {
  const target = join(dir, a.file)
  if (existsSync(target) && sha256(readFileSync(target)) === a.sha256) {
    process.stdout.write(`ok      ${a.file} (already present, sha256 verified)\n`)
    return
  }
  const problems: string[] = []
  for (const url of a.urls) {
    try {
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(120_000) })
      if (!res.ok) { problems.push(`${url}: HTTP ${res.status}`); continue }
      const body = new Uint8Array(await res.arrayBuffer())
      const got = sha256(body)
      if (got !== a.sha256) { problems.push(`${url}: sha256 ${got} ≠ ${a.sha256} (a Git LFS pointer or a changed file)`); continue }
      mkdirSync(join(target, '..'), { recursive: true })
      writeFileSync(target + '.part', body)
      renameSync(target + '.part', target)
      process.stdout.write(`fetched ${a.file} (${body.length} bytes, sha256 verified) from ${url}\n`)
      return
    } catch (err) {
      problems.push(`${url}: ${(err as Error).message}`)
    }
  }
  throw new Error(`could not fetch ${a.file}:\n  ${problems.join('\n  ')}`)
}

async function main (): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string', default: './models' }, 'no-detector': { type: 'boolean', default: false } } })
  const dir = resolve(values.dir)
  const assets = values['no-detector'] === true ? MODEL_ASSETS : [...MODEL_ASSETS, ...DETECTOR_ASSETS]
  for (const a of assets) await fetchAsset(dir, a)
  if (values['no-detector'] !== true) writeFileSync(join(dir, 'detector', 'coco_labels.txt'), COCO.join('\n') + '\n')
  process.stdout.write(`models in ${dir}; set vision.modelPath / vision.detectorPath if you keep them elsewhere\n`)
}

main().catch((err: unknown) => {
  process.stderr.write(`model fetch failed: ${(err as Error).message}\n`)
  process.exit(1)
})
