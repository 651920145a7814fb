import { userInfo } from 'node:os'
import { resolve } from 'node:path'
import { MimamoriError } from '../core/errors.js'
import { ROLES, type Role } from '../dashboard/server/auth/access.js'
import { openAccounts } from '../dashboard/server/auth/accounts.js'
import { createAuditLog } from '../dashboard/server/auth/audit.js'
import { readSecretFile, resolveConfig } from './config-source.js'
import { randomSecret } from '../core/secret.js'
import { parseAction, unknownAction } from './usage.js'

export const USER_USAGE = `mimamori user — dashboard accounts (roles: ${ROLES.join(', ')})

Usage:
  mimamori user add NAME --role admin|staff|hunter|researcher [--hunter HUNTER_ID] [--password-file F] [--json]
                              without --password-file a random password is printed once
  mimamori user list [--json]
  mimamori user passwd NAME [--password-file F]     new password; ends the user's sessions
  mimamori user disable NAME | enable NAME          a disabled user cannot sign in; sessions end and API
                                                    tokens are revoked (enabling revives none)
  mimamori user unlock NAME                         lifts the sign-in lock after failed guesses (the running
                                                    dashboard reads it from the audit log within a second)
  (all take --config file.json like the other commands)

The first admin is created here; further users also from the admin page (/admin.html).`

export const TOKEN_USAGE = `mimamori token — API tokens for scripts and Grafana (Authorization: Bearer …)

Usage:
  mimamori token create --user NAME --name LABEL [--scope read|write] [--days 90] [--json]
                              the token acts with NAME's role; read = GET only. Printed once.
  mimamori token list [--user NAME] [--json]
  mimamori token revoke ID
  (all take --config file.json like the other commands)`

const DAY_MS = 86_400_000

/** the accounts in the embedded database (dataDir/store.file) and an audit recorder for the CLI */
function openCliAccounts (configFile: string | undefined): { accounts: ReturnType<typeof openAccounts>, record: (action: string, subject: string, detail?: Record<string, unknown>) => void } {
  const { config } = resolveConfig(configFile, process.env)
  const accounts = openAccounts(resolve(config.dataDir, config.store.file))
  const audit = createAuditLog(accounts.db)
  // the CLI runs as an operating-system user on the server: that is who the audit log names
  const record = (action: string, subject: string, detail: Record<string, unknown> = {}): void => {
    audit.record({ actor: null, role: null, via: `cli:${osUser()}`, ip: null, action, subject, detail })
  }
  return { accounts, record }
}

/** `mimamori user …` and `mimamori token …`: the accounts in the embedded database (dataDir/store.file). */
export async function userCommand (argv: string[], out: (s: string) => void = s => { process.stdout.write(s) }): Promise<number> {
  const { values, positionals, exit } = parseAction(argv, USER_USAGE, {
    role: { type: 'string' }, hunter: { type: 'string' }, 'password-file': { type: 'string' }
  }, out)
  if (exit !== undefined) return exit
  const [action, name] = positionals
  const { accounts, record } = openCliAccounts(values.config)
  const need = (v: string | undefined, what: string): string => {
    if (v === undefined || v === '') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `${what} is required\n\n${USER_USAGE}`)
    return v
  }
  try {
    switch (action) {
      case 'add': {
        const username = need(name, 'NAME')
        const role = need(values.role, '--role')
        if (!ROLES.includes(role as Role)) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--role must be one of ${ROLES.join(', ')} (got "${role}")`)
        const { password, generated } = passwordFrom(values['password-file'])
        const user = await accounts.addUser({ username, role: role as Role, password, hunterId: values.hunter ?? null })
        record('user.add', user.username, { role: user.role, hunterId: user.hunterId })
        if (values.json === true) out(JSON.stringify({ username: user.username, role: user.role, hunterId: user.hunterId, ...(generated ? { password } : {}) }) + '\n')
        else out(`user ${user.username} (${user.role}) added${generated ? `\n  password: ${password}\n  shown this once; the user changes it after signing in` : ''}\n`)
        return 0
      }
      case 'list': {
        const users = accounts.listUsers()
        if (values.json === true) {
          out(JSON.stringify(users.map(u => ({ ...u, createdAt: new Date(u.createdAt).toISOString(), updatedAt: new Date(u.updatedAt).toISOString() }))) + '\n')
          return 0
        }
        out(['user\trole\thunter\tstate', ...users.map(u => [u.username, u.role, u.hunterId ?? '-', u.disabled ? 'disabled' : 'active'].join('\t'))].join('\n') + '\n')
        return 0
      }
      case 'passwd': {
        const username = need(name, 'NAME')
        const { password, generated } = passwordFrom(values['password-file'])
        await accounts.setPassword(username, password)
        record('user.password', username)
        out(`password of ${username} changed; their sessions ended${generated ? `\n  password: ${password}` : ''}\n`)
        return 0
      }
      case 'disable':
      case 'enable': {
        const username = need(name, 'NAME')
        const u = accounts.setDisabled(username, action === 'disable')
        record(`user.${action}`, username)
        out(`${u.username} ${u.disabled ? 'disabled: sign-in and sessions refused, API tokens revoked' : 'enabled (earlier API tokens stay revoked; create new ones)'}\n`)
        return 0
      }
      case 'unlock': {
        const username = need(name, 'NAME')
        const u = accounts.byName(username)
        if (u === undefined) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no user ${username}`)
        // the dashboard keeps its counters in memory; this audit row is what it reads (auth/login-guard.ts)
        record('user.unlock', u.username)
        out(`${u.username}: sign-in lock lifted (new clients may sign in again)\n`)
        return 0
      }
      default:
        return unknownAction('user', action, USER_USAGE, out)
    }
  } finally {
    accounts.close()
  }
}

export async function tokenCommand (argv: string[], out: (s: string) => void = s => { process.stdout.write(s) }): Promise<number> {
  const { values, positionals, exit } = parseAction(argv, TOKEN_USAGE, {
    user: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string', default: 'read' }, days: { type: 'string', default: '90' }
  }, out)
  if (exit !== undefined) return exit
  const [action, id] = positionals
  const { accounts, record } = openCliAccounts(values.config)
  try {
    switch (action) {
      case 'create': {
        if (values.user === undefined || values.name === undefined) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', `--user and --name are required\n\n${TOKEN_USAGE}`)
        if (values.scope !== 'read' && values.scope !== 'write') throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--scope must be read or write')
        const days = Number(values.days)
        if (!Number.isInteger(days) || days < 1 || days > 366) throw new MimamoriError('MIMAMORI_ERR_BAD_REQUEST', '--days must be a whole number from 1 to 366')
        const { token, info } = accounts.createToken({ username: values.user, name: values.name, scope: values.scope, expiresAt: Date.now() + days * DAY_MS })
        record('token.create', info.id, { user: values.user, name: info.name, scope: info.scope, expiresAt: new Date(info.expiresAt).toISOString() })
        if (values.json === true) out(JSON.stringify({ id: info.id, token, scope: info.scope, expiresAt: new Date(info.expiresAt).toISOString() }) + '\n')
        else out(`token ${info.id} for ${values.user} (${info.scope}, until ${new Date(info.expiresAt).toISOString()}):\n  ${token}\n  shown this once; send it as "Authorization: Bearer <token>"\n`)
        return 0
      }
      case 'list': {
        const list = accounts.listTokens(values.user)
        if (values.json === true) {
          out(JSON.stringify(list) + '\n')
          return 0
        }
        const names = new Map(accounts.listUsers().map(u => [u.id, u.username]))
        out(['id\tuser\tname\tscope\texpires\tstate', ...list.map(t => [
          t.id, names.get(t.userId) ?? t.userId, t.name, t.scope, new Date(t.expiresAt).toISOString(),
          t.revoked ? 'revoked' : t.expiresAt <= Date.now() ? 'expired' : 'active'
        ].join('\t'))].join('\n') + '\n')
        return 0
      }
      case 'revoke': {
        if (id === undefined || !accounts.revokeToken(id)) throw new MimamoriError('MIMAMORI_ERR_NOT_FOUND', `no token ${id ?? '(give its id)'}`)
        record('token.revoke', id)
        out(`token ${id} revoked\n`)
        return 0
      }
      default:
        return unknownAction('token', action, TOKEN_USAGE, out)
    }
  } finally {
    accounts.close()
  }
}

function passwordFrom (file: string | undefined): { password: string, generated: boolean } {
  if (file !== undefined) return { password: readSecretFile(file), generated: false }
  return { password: randomSecret(15), generated: true }
}

function osUser (): string {
  try {
    return userInfo().username
  } catch {
    return 'unknown'
  }
}
