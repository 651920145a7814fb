// Dragino LDDS75 ultrasonic distance sensor, firmware 1.1.4 uplink (fPort 2, 8 bytes), written for mimamori
// from Dragino's documented payload layout (LDDS75 user manual, "Uplink Payload"):
//   bytes 0-1  battery, mV (upper two bits reserved)
//   bytes 2-3  distance, mm, big-endian (0 = no sensor, below 280 = inside the blind zone)
//   byte  4    interrupt flag
//   bytes 5-6  DS18B20 temperature, 0.1 degC, signed
//   byte  7    sensor flag
// The output keeps the firmware's own field names and formats (Distance as "2799 mm"), so a device
// profile written for the vendor's codec reads ours the same way.
function u16(b, i) { return (b[i] << 8) | b[i + 1]; }

function decodeUplink(input) {
  var b = input.bytes;
  if (input.fPort !== 2) return { errors: ['unknown FPort'] };
  if (b.length < 8) return { errors: ['payload is ' + b.length + ' bytes, expected 8'] };
  var data = {};
  data.Bat = (u16(b, 0) & 0x3fff) / 1000;
  var mm = u16(b, 2);
  if (mm === 0) data.Distance = 'No Sensor';
  else if (mm < 280) data.Distance = 'Invalid Reading';
  else data.Distance = mm + ' mm';
  data.Interrupt_flag = b[4];
  var t = u16(b, 5);
  if (t & 0x8000) t -= 0x10000;
  data.TempC_DS18B20 = (t / 10).toFixed(2);
  data.Sensor_flag = b[7];
  return { data: data };
}
