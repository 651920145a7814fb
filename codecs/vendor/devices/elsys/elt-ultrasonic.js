// Elsys ELT Ultrasonic, written for mimamori from Elsys's documented generic payload
// ("Elsys LoRaWAN payload", one [type, value...] record after another, big-endian):
//   0x01 temperature 0.1 degC int16 · 0x02 humidity % uint8 · 0x03 acceleration x, y, z int8
//   0x04 light lux uint16 · 0x05 motion count uint8 · 0x06 CO2 ppm uint16 · 0x07 battery mV uint16
//   0x08 analog mV uint16 · 0x0A pulses uint16 · 0x0B absolute pulses uint32 · 0x0C external temperature int16
//   0x0D digital uint8 · 0x0E external distance mm uint16 · 0x0F acceleration motion uint8
//   0x11 occupancy uint8 · 0x12 water leak uint8 · 0x14 pressure 0.001 hPa uint32 · 0x15 sound peak, average uint8
// An unknown type has an unknown length, so decoding stops there with a warning.
function s16(v) { return v & 0x8000 ? v - 0x10000 : v; }
function s8(v) { return v & 0x80 ? v - 0x100 : v; }

function decodeUplink(input) {
  var b = input.bytes, data = {}, i = 0;
  function u16() { var v = (b[i] << 8) | b[i + 1]; i += 2; return v; }
  function u32() { var v = ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3]; i += 4; return v; }
  while (i < b.length) {
    var type = b[i++];
    switch (type) {
      case 0x01: data.temperature = s16(u16()) / 10; break;
      case 0x02: data.humidity = b[i++]; break;
      case 0x03: data.x = s8(b[i]); data.y = s8(b[i + 1]); data.z = s8(b[i + 2]); i += 3; break;
      case 0x04: data.light = u16(); break;
      case 0x05: data.motion = b[i++]; break;
      case 0x06: data.co2 = u16(); break;
      case 0x07: data.vdd = u16(); break;
      case 0x08: data.analog1 = u16(); break;
      case 0x0a: data.pulse1 = u16(); break;
      case 0x0b: data.pulseAbs = u32(); break;
      case 0x0c: data.externalTemperature = s16(u16()) / 10; break;
      case 0x0d: data.digital = b[i++]; break;
      case 0x0e: data.distance = u16(); break;
      case 0x0f: data.accMotion = b[i++]; break;
      case 0x11: data.occupancy = b[i++]; break;
      case 0x12: data.waterleak = b[i++]; break;
      case 0x14: data.pressure = u32() / 1000; break;
      case 0x15: data.soundPeak = b[i]; data.soundAvg = b[i + 1]; i += 2; break;
      default: return { data: data, warnings: ['unknown record type 0x' + type.toString(16) + ' at byte ' + (i - 1)] };
    }
  }
  if (i > b.length) return { errors: ['payload ends inside a record'] };
  return { data: data };
}
