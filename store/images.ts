import { join } from 'node:path'

/** Where a camera frame lives under the data dir: ingest writes it, the dashboard and wildlife read it. */
export function imagePath (dataDir: string, cameraId: string, time: number, frameIndex: number): string {
  return join(dataDir, 'images', cameraId, `${time}-${frameIndex}.jpg`)
}
