import { definePart } from './parts.js'

/**
 * Wildlife (store/wildlife.ts, used by ingest/wildlife and the dashboard): detections per frame,
 * sightings per burst, hunters and their areas, hunters' feedback.
 */
export const WILDLIFE_PART = definePart('wildlife', [
  `CREATE TABLE detections (
     camera_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     frame_index INTEGER NOT NULL,
     burst_id TEXT NOT NULL,
     positive INTEGER NOT NULL,
     score REAL NOT NULL,
     label TEXT NOT NULL,
     via TEXT NOT NULL,
     boxes TEXT NOT NULL,
     thumbnail TEXT,
     error_code TEXT,
     analysed_at INTEGER NOT NULL,
     PRIMARY KEY (camera_id, time, frame_index)
   ) WITHOUT ROWID;
   CREATE INDEX detections_by_time ON detections (time);
   CREATE TABLE sightings (
     id TEXT PRIMARY KEY,
     camera_id TEXT NOT NULL,
     burst_id TEXT NOT NULL,
     time INTEGER NOT NULL,
     doc TEXT NOT NULL,
     alert_id TEXT,
     suppressed INTEGER NOT NULL,
     UNIQUE (camera_id, burst_id)
   );
   CREATE INDEX sightings_by_camera ON sightings (camera_id, time);
   CREATE INDEX sightings_by_alert ON sightings (alert_id);
   CREATE TABLE hunters (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     contact TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE TABLE hunter_areas (
     id TEXT PRIMARY KEY,
     hunter_id TEXT NOT NULL REFERENCES hunters (id) ON DELETE CASCADE,
     name TEXT NOT NULL,
     shape TEXT NOT NULL,
     created_at INTEGER NOT NULL
   );
   CREATE INDEX hunter_areas_by_hunter ON hunter_areas (hunter_id);
   CREATE TABLE sighting_feedback (
     sighting_id TEXT NOT NULL,
     hunter_id TEXT NOT NULL,
     verdict TEXT NOT NULL,
     note TEXT NOT NULL,
     at INTEGER NOT NULL,
     PRIMARY KEY (sighting_id, hunter_id)
   );`
])
