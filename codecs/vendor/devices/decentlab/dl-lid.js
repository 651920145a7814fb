// Decentlab DL-LID (laser distance, statistics over a burst of samples), written for mimamori from Decentlab's documented protocol version 2
// (the "Decentlab data format" note): byte 0 protocol version (2), bytes 1-2 device id, bytes 3-4 a
// flag word with one bit per sensor group, then for each group whose bit is set its 16-bit big-endian
// words, converted as the SENSORS table says. A frame with only the battery group has no measurement.
function mm(i) { return function (x) { return x[i]; }; }
var SENSORS = [
  { length: 11, values: [
    { name: 'distance_average', displayName: 'Distance: average', unit: 'mm', convert: mm(0) },
    { name: 'distance_minimum', displayName: 'Distance: minimum', unit: 'mm', convert: mm(1) },
    { name: 'distance_maximum', displayName: 'Distance: maximum', unit: 'mm', convert: mm(2) },
    { name: 'distance_median', displayName: 'Distance: median', unit: 'mm', convert: mm(3) },
    { name: 'distance_10th_percentile', displayName: 'Distance: 10th percentile', unit: 'mm', convert: mm(4) },
    { name: 'distance_25th_percentile', displayName: 'Distance: 25th percentile', unit: 'mm', convert: mm(5) },
    { name: 'distance_75th_percentile', displayName: 'Distance: 75th percentile', unit: 'mm', convert: mm(6) },
    { name: 'distance_90th_percentile', displayName: 'Distance: 90th percentile', unit: 'mm', convert: mm(7) },
    { name: 'distance_most_frequent_value', displayName: 'Distance: most frequent value', unit: 'mm', convert: mm(8) },
    { name: 'number_of_samples', displayName: 'Number of samples', convert: mm(9) },
    // the device counts acquisition time in 1/1.024 ms ticks
    { name: 'total_acquisition_time', displayName: 'Total acquisition time', unit: 'ms', convert: function (x) { return x[10] / 1.024; } }
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
