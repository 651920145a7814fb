// Milesight EM310-UDL ultrasonic distance sensor, written for mimamori from Milesight's documented
// channel format (EM310-UDL user guide, "Uplink payload"): a sequence of [channel id, channel type, value]:
//   0x01 0x75  battery, %, uint8
//   0x03 0x82  distance, mm, uint16 little-endian
//   0x04 0x00  device position: 0 normal, 1 tilt
//   0xFF ...   device information (protocol, versions, serial, power-on), skipped by length
var INFO_LENGTH = { 0x01: 1, 0x09: 2, 0x0a: 2, 0x0b: 1, 0x0f: 1, 0x16: 8, 0xff: 2 };

function decodeUplink(input) {
  var b = input.bytes;
  var data = {};
  var warnings = [];
  for (var i = 0; i < b.length;) {
    var ch = b[i], type = b[i + 1];
    i += 2;
    if (ch === 0x01 && type === 0x75) { data.battery = b[i]; i += 1; }
    else if (ch === 0x03 && type === 0x82) { data.distance = b[i] | (b[i + 1] << 8); i += 2; }
    else if (ch === 0x04 && type === 0x00) { data.tilt = b[i] === 1 ? 'tilt' : 'normal'; i += 1; }
    else if (ch === 0xff && INFO_LENGTH[type] !== undefined) { i += INFO_LENGTH[type]; }
    else { warnings.push('unknown channel 0x' + ch.toString(16) + ' type 0x' + (type === undefined ? '?' : type.toString(16))); break; }
  }
  var out = { data: data };
  if (warnings.length > 0) out.warnings = warnings;
  return out;
}
