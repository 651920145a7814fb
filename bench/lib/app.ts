/**
 * The config overrides every bench that runs the app in-process starts from: its own data folder, no
 * log output, ports the OS picks, anonymous MQTT (the load publishers carry no credentials), no simulator.
 * A bench spreads this and adds its own sections (vision, stations, notify …).
 */
export function benchAppOverrides (dataDir: string): Record<string, unknown> {
  return {
    dataDir,
    log: { level: 'silent' },
    broker: { port: 0, wsPort: 0, allowAnonymous: true },
    dashboard: { port: 0 },
    sim: { enabled: false }
  }
}
