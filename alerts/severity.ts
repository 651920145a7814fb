import { ALERT_SEVERITIES, type AlertSeverity } from '../core/types.js'

/** higher is worse (core's ALERT_SEVERITIES order) */
export function severityRank (s: AlertSeverity): number {
  return ALERT_SEVERITIES.indexOf(s)
}
