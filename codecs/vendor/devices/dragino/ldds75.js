// Dragino LDDS75, firmware 1.2 uplink (fPort 2), written for mimamori from Dragino's documented layout.
// Unlike the device repository's ldds75.js at the commit in PROVENANCE.md (which puts the battery mV in
// `distance`), this one reads the distance from bytes 2-3:
//   8 bytes: battery mV (bytes 0-1, 14 bits), distance mm (2-3), interrupt flag (4),
//            DS18B20 temperature 0.1 degC signed (5-6), sensor flag (7)
//   anything shorter: the probe did not answer ("No Sensor")
function u16(b, i) { return (b[i] << 8) | b[i + 1]; }

function decodeUplink(input) {
  var b = input.bytes;
  if (input.fPort !== 2) return { errors: ['unknown FPort'] };
  if (b.length < 8) return { data: { distance: 'No Sensor' } };
  var mm = u16(b, 2);
  var t = u16(b, 5);
  if (t & 0x8000) t -= 0x10000;
  var data = {
    battery: (u16(b, 0) & 0x3fff) / 1000,
    distance: mm === 0 ? 'No Sensor' : (mm < 280 ? 'Invalid Reading' : mm),
    interrupt_flag: b[4],
    temperature: t / 10,
    sensor_flag: b[7]
  };
  return { data: data };
}
