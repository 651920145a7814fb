// moved to core/accuracy so the dashboard can evaluate stored series too (services never import each other)
export * from '../../core/accuracy/metrics.js'
