import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { REPO_ROOT, waitFor } from '../helpers/app.js'

const CLI = join(REPO_ROOT, 'dist', 'cli', 'main.js')

function startBroker (dataDir: string, port: string): { child: ChildProcess, out: () => string } {
  const child = spawn(process.execPath, [CLI, 'broker'], {
    env: { ...process.env, MIMAMORI_DATA_DIR: dataDir, MIMAMORI_BROKER__PORT: port, MIMAMORI_BROKER__WS_PORT: '0', MIMAMORI_BROKER__ALLOW_ANONYMOUS: 'true', MIMAMORI_LOG__PRETTY: 'false' },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { out += d.toString() })
  return { child, out: () => out }
}

/**
 * A QoS 1 PUBACK promises the device its frame is safe. Kill the broker
 * (SIGKILL, no shutdown) the moment the last PUBACK arrives: after a restart
 * from the same data dir, the offline subscriber must get every acked frame.
 */
describe('broker crash right after PUBACK loses nothing (level persistence)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'mimamori-crash-'))
  const children: ChildProcess[] = []
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL')
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('every acked frame survives SIGKILL of the broker', async () => {
    let broker = startBroker(dataDir, '0')
    children.push(broker.child)
    const port = await waitFor(() => /"port":(\d+),"wsPort"/.exec(broker.out())?.[1], 'broker up', 30_000)
    const url = `mqtt://127.0.0.1:${port}`

    const ingest = await mqtt.connectAsync(url, { clientId: 'crash-ingest', clean: false, reconnectPeriod: 0 })
    await ingest.subscribeAsync('mmr/v1/gauge/+/up', { qos: 1 })
    await ingest.endAsync()

    const device = await mqtt.connectAsync(url, { clientId: 'crash-dev', reconnectPeriod: 0 })
    const N = 300
    // pipelined, as a gateway flushing its backlog does
    await Promise.all(Array.from({ length: N }, async (_, i) => { await device.publishAsync('mmr/v1/gauge/crash-dev/up', String(i), { qos: 1 }) }))
    broker.child.kill('SIGKILL')
    await new Promise(resolve => broker.child.once('exit', resolve))
    device.end(true)

    broker = startBroker(dataDir, port)
    children.push(broker.child)
    await waitFor(() => broker.out().includes('MQTT broker listening') ? true : undefined, 'broker restarted', 30_000)
    const received = new Set<string>()
    const again = await mqtt.connectAsync(url, { clientId: 'crash-ingest', clean: false, reconnectPeriod: 0 })
    again.on('message', (_t, payload) => { received.add(payload.toString()) })
    await waitFor(() => received.size >= N ? true : undefined, `all ${N} acked frames after the crash (have ${received.size})`, 20_000)
    expect(received.size).toBe(N)
    await again.endAsync()
    broker.child.kill('SIGTERM')
  })
})
