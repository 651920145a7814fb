import { join } from 'node:path'
import { packageRoot } from '../../core/paths.js'

/**
 * Our own codecs for the six supported sensors (codecs/vendor/devices/<vendor>/),
 * shipped as plain JS + codec YAML in the device-repository format and loaded
 * through the same sandbox as a town's own plug-ins. Resolved from the package
 * root, since tsc does not copy .js sources into dist/.
 */
export const BUILTIN_CODECS_DIR = join(packageRoot(), 'codecs', 'vendor', 'devices')
