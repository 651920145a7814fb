import { randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The demo's one-time sign-in link (as notebook servers print one): a random
 * token shown on the terminal at start. Opening the link from this machine
 * exchanges it for an ordinary session cookie; the token is then spent and the
 * next one is minted (and printed), so a link copied out of a scroll-back or a
 * log never signs anyone in twice. Nothing here looks at Host or addresses:
 * the route (auth/routes.ts) adds the loopback-peer check, so a proxy or a
 * forwarder in front of the dashboard gets nowhere without the token.
 */
export interface DemoLink {
  /** the token now valid (minted on first call) */
  current(): string
  /** true once for the current token; a new token is minted when it was right */
  consume(sent: string): boolean
}

export function createDemoLink ({ onMint }: { onMint?: (token: string) => void } = {}): DemoLink {
  let token: string | undefined
  const mint = (): string => {
    // 256 random bits: guessing is hopeless, so no attempt counter is needed
    token = randomBytes(32).toString('base64url')
    onMint?.(token)
    return token
  }
  return {
    current: () => token ?? mint(),
    consume (sent) {
      const now = token ?? mint()
      const a = Buffer.from(sent)
      const b = Buffer.from(now)
      if (a.length !== b.length || !timingSafeEqual(a, b)) return false
      mint()
      return true
    }
  }
}
