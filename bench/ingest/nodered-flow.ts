/**
 * The peer's Node-RED flow (what a town integrator would wire by hand): MQTT in (QoS 1)
 * → decode our frame v1 to an InfluxDB line → join 1000 lines (or 1 s) → POST /write.
 * Node-RED's MQTT node acknowledges on receipt, before the write, which is the peer's
 * weaker guarantee (a crash loses what is in the join); see bench/README.md.
 */
export function peerFlow ({ mqttPort, writeUrl, measurement }: { mqttPort: number, writeUrl: string, measurement: string }): object[] {
  const decode = `
const b = msg.payload
if (!Buffer.isBuffer(b) || b.length !== 11) return null
const level = b.readInt16BE(1)
if (level === -32768) return null
const device = msg.topic.split('/')[3]
const nowMin = Math.floor(Date.now() / 60000)
const minute = nowMin - ((nowMin - b.readUInt16BE(9)) & 0xffff)
msg.payload = '${measurement},device=' + device + ' level=' + (level / 1000) + ',battery_v=' + (2 + b[4] / 100).toFixed(2) + ' ' + (minute * 60000) + '000000'
return msg`
  return [
    { id: 'tab1', type: 'tab', label: 'ingest' },
    { id: 'broker1', type: 'mqtt-broker', name: 'mosquitto', broker: '127.0.0.1', port: String(mqttPort), clientid: 'nodered-ingest', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    { id: 'in1', type: 'mqtt in', z: 'tab1', name: 'gauges', topic: 'mmr/v1/gauge/+/up', qos: '1', datatype: 'buffer', broker: 'broker1', nl: false, rap: true, rh: 0, inputs: 0, wires: [['dec1']] },
    { id: 'dec1', type: 'function', z: 'tab1', name: 'decode frame v1', func: decode, outputs: 1, wires: [['join1']] },
    { id: 'join1', type: 'join', z: 'tab1', name: 'batch', mode: 'custom', build: 'array', property: 'payload', propertyType: 'msg', key: 'topic', joiner: '\\n', joinerType: 'str', accumulate: false, timeout: '1', count: '1000', reduceRight: false, wires: [['fmt1']] },
    { id: 'fmt1', type: 'function', z: 'tab1', name: 'lines', func: "msg.payload = msg.payload.join('\\n')\nmsg.headers = { 'content-type': 'text/plain' }\nreturn msg", outputs: 1, wires: [['http1']] },
    { id: 'http1', type: 'http request', z: 'tab1', name: 'write', method: 'POST', ret: 'txt', url: writeUrl, paytoqs: 'ignore', wires: [[]] }
  ]
}
