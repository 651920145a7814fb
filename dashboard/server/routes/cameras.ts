import { createReadStream } from 'node:fs'
import { access } from 'node:fs/promises'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { MimamoriError } from '../../../core/errors.js'
import type { Store } from '../../../store/store.js'
import { imagePath } from '../../../store/images.js'
import { BinaryBody, CameraBody, ErrorBody, IdParams } from '../../contract/schemas.js'
import type { DeviceStatusLookup } from './stations.js'
import { READERS } from '../auth/access.js'

export const cameraRoutes: FastifyPluginAsyncTypebox<{ store: Store, dataDir: string, devices?: DeviceStatusLookup }> = async (app, { store, dataDir, devices }) => {
  app.get('/api/cameras', { config: { access: READERS }, schema: { response: { 200: Type.Array(CameraBody) } } }, async () => {
    const latest = await store.latestCameraImages()
    return store.listCameras().map(c => {
      const img = latest.get(c.id)
      return {
        ...c,
        device: devices?.('camera', c.id) ?? null,
        latest: img === undefined
          ? null
          : { time: new Date(img.time).toISOString(), width: img.width, height: img.height, imageUrl: `/api/cameras/${c.id}/latest.jpg?t=${img.time}` }
      }
    })
  })

  app.get('/api/cameras/:id/latest.jpg', { config: { access: READERS }, schema: { params: IdParams, response: { 200: BinaryBody('the newest frame, image/jpeg'), 404: ErrorBody } } }, async (request, reply) => {
    const camera = store.getCamera(request.params.id)
    if (camera === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no camera ${request.params.id}`)
    const img = (await store.latestCameraImages()).get(camera.id)
    if (img === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `camera ${camera.id} has sent no image yet`)
    const file = imagePath(dataDir, camera.id, img.time, img.frameIndex)
    try {
      await access(file)
    } catch {
      throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `image file of camera ${camera.id} is gone (retention)`)
    }
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=60').send(createReadStream(file) as unknown as string) // a stream skips the serializer; the schema documents the route
  })
}
