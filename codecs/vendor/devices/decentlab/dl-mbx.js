// Decentlab DL-MBX (MaxBotix ultrasonic distance), written for mimamori from Decentlab's documented protocol version 2
// (the "Decentlab data format" note): byte 0 protocol version (2), bytes 1-2 device id, bytes 3-4 a
// flag word with one bit per sensor group, then for each group whose bit is set its 16-bit big-endian
// words, converted as the SENSORS table says. A frame with only the battery group has no measurement.
var SENSORS = [
  { length: 2, values: [
    { name: 'distance', displayName: 'Distance', unit: 'mm', convert: function (x) { return x[0]; } },
    { name: 'number_of_valid_samples', displayName: 'Number of valid samples', convert: function (x) { return x[1]; } }
  ] },
  { length: 1, values: [
    { name: 'battery_voltage', displayName: 'Battery voltage', unit: 'V', convert: function (x) { return x[0] / 1000; } }
  ] }
];

function decodeUplink(input) {
  var b = input.bytes;
  if (b.length < 5) return { errors: ['payload is ' + b.length + ' bytes, too short'] };
  if (b[0] !== 2) return { errors: ['protocol version ' + b[0] + ' is not 2'] };
  var data = { protocol_version: 2, device_id: (b[1] << 8) | b[2] };
  var flags = (b[3] << 8) | b[4];
  var at = 5;
  for (var g = 0; g < SENSORS.length; g++, flags >>= 1) {
    if ((flags & 1) === 0) continue;
    var group = SENSORS[g];
    if (at + 2 * group.length > b.length) return { errors: ['payload ends inside sensor group ' + g] };
    var x = [];
    for (var k = 0; k < group.length; k++, at += 2) x.push((b[at] << 8) | b[at + 1]);
    for (var v = 0; v < group.values.length; v++) {
      var def = group.values[v];
      var item = { displayName: def.displayName, value: def.convert(x) };
      if (def.unit !== undefined) item.unit = def.unit;
      data[def.name] = item;
    }
  }
  return { data: data };
}
