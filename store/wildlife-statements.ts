import type Database from 'better-sqlite3'

export type Verdict = 'confirm' | 'reject'
export interface ImageRow { camera_id: string, time: number, frame_index: number, burst_id: string, received_at: number, bytes: number, width: number, height: number, battery_v: number | null, burst_frames: number }
export interface DetectionRow { camera_id: string, time: number, frame_index: number, burst_id: string, positive: number, score: number, label: string, via: string, boxes: string, thumbnail: string | null, error_code: string | null }

/** The wildlife repo's prepared statements (its SQL, apart from the row mapping in store/wildlife.ts). */
export function prepareWildlife (db: Database.Database) {
  return {
    insertDetection: db.prepare(`INSERT INTO detections (camera_id, time, frame_index, burst_id, positive, score, label, via, boxes, thumbnail, error_code, analysed_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET positive = excluded.positive, score = excluded.score, label = excluded.label,
      via = excluded.via, boxes = excluded.boxes, thumbnail = excluded.thumbnail, error_code = excluded.error_code, analysed_at = excluded.analysed_at`),
    hasDetection: db.prepare<[string, number, number], { n: number }>('SELECT 1 AS n FROM detections WHERE camera_id = ? AND time = ? AND frame_index = ?'),
    detections: db.prepare<[string, number, number, number], DetectionRow>('SELECT * FROM detections WHERE camera_id = ? AND time >= ? AND time <= ? ORDER BY time DESC, frame_index LIMIT ?'),
    upsertSighting: db.prepare('INSERT INTO sightings (id, camera_id, burst_id, time, doc, alert_id, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, alert_id = excluded.alert_id'),
    getSighting: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE id = ?'),
    sightingByAlert: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE alert_id = ? ORDER BY time DESC LIMIT 1'),
    sightings: db.prepare<[number], { doc: string }>('SELECT doc FROM sightings ORDER BY time DESC LIMIT ?'),
    sightingsByCamera: db.prepare<[string, number], { doc: string }>('SELECT doc FROM sightings WHERE camera_id = ? ORDER BY time DESC LIMIT ?'),
    lastSighting: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE camera_id = ? ORDER BY time DESC LIMIT 1'),
    lastAlerting: db.prepare<[string], { doc: string }>('SELECT doc FROM sightings WHERE camera_id = ? AND suppressed = 0 ORDER BY time DESC LIMIT 1'),
    hasSighting: db.prepare<[string, string], { n: number }>('SELECT 1 AS n FROM sightings WHERE camera_id = ? AND burst_id = ?'),
    burstDetections: db.prepare<[string, string], DetectionRow>('SELECT * FROM detections WHERE camera_id = ? AND burst_id = ? ORDER BY frame_index'),
    // per camera on the primary key; the burst count looks 10 min either side (bursts last seconds)
    unanalysed: db.prepare<[string, number, number], ImageRow>(`SELECT i.*, (SELECT COUNT(*) FROM camera_images b WHERE b.camera_id = i.camera_id AND b.burst_id = i.burst_id
        AND b.time BETWEEN i.time - 600000 AND i.time + 600000) AS burst_frames
      FROM camera_images i WHERE i.camera_id = ? AND i.received_at >= ?
        AND NOT EXISTS (SELECT 1 FROM detections d WHERE d.camera_id = i.camera_id AND d.time = i.time AND d.frame_index = i.frame_index)
      ORDER BY i.received_at DESC LIMIT ?`),
    forgetFrame: db.prepare('DELETE FROM detections WHERE camera_id = ? AND time = ? AND frame_index = ?'),
    clearSightingThumb: db.prepare("UPDATE sightings SET doc = json_set(doc, '$.thumbnail', NULL) WHERE camera_id = ? AND json_extract(doc, '$.thumbnail') = ?"),
    addHunter: db.prepare('INSERT INTO hunters (id, name, contact, created_at) VALUES (?, ?, ?, ?)'),
    getHunter: db.prepare<[string], { id: string, name: string, contact: string, created_at: number }>('SELECT * FROM hunters WHERE id = ?'),
    listHunters: db.prepare<[], { id: string, name: string, contact: string, created_at: number }>('SELECT * FROM hunters ORDER BY id'),
    deleteHunter: db.prepare('DELETE FROM hunters WHERE id = ?'),
    addArea: db.prepare('INSERT INTO hunter_areas (id, hunter_id, name, shape, created_at) VALUES (?, ?, ?, ?, ?)'),
    areas: db.prepare<[], { id: string, hunter_id: string, name: string, shape: string, created_at: number }>('SELECT * FROM hunter_areas ORDER BY hunter_id, created_at'),
    areasOf: db.prepare<[string], { id: string, hunter_id: string, name: string, shape: string, created_at: number }>('SELECT * FROM hunter_areas WHERE hunter_id = ? ORDER BY created_at'),
    deleteArea: db.prepare('DELETE FROM hunter_areas WHERE hunter_id = ? AND id = ?'),
    putFeedback: db.prepare('INSERT INTO sighting_feedback (sighting_id, hunter_id, verdict, note, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET verdict = excluded.verdict, note = excluded.note, at = excluded.at'),
    feedback: db.prepare<[string], { sighting_id: string, hunter_id: string, verdict: Verdict, note: string, at: number }>('SELECT * FROM sighting_feedback WHERE sighting_id = ? ORDER BY at'),
    // A sighting counts as confirmed if any hunter confirmed it, rejected if hunters only rejected it.
    precision: db.prepare<[], { camera_id: string, sightings: number, confirmed: number, rejected: number }>(`
      SELECT s.camera_id,
             COUNT(*) AS sightings,
             SUM(CASE WHEN f.conf > 0 THEN 1 ELSE 0 END) AS confirmed,
             SUM(CASE WHEN f.conf = 0 AND f.rej > 0 THEN 1 ELSE 0 END) AS rejected
      FROM sightings s
      LEFT JOIN (SELECT sighting_id, SUM(verdict = 'confirm') AS conf, SUM(verdict = 'reject') AS rej FROM sighting_feedback GROUP BY sighting_id) f
        ON f.sighting_id = s.id
      WHERE s.suppressed = 0
      GROUP BY s.camera_id ORDER BY s.camera_id`),
    prune: db.prepare('DELETE FROM detections WHERE time < ?')
  }
}
