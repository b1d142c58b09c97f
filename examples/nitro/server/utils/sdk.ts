import { Members, Provisioner, TokenVerifier } from '@dezky/sdk'
import type { TenantDocument } from '@dezky/sdk'

/**
 * Where the upstreams are: `memory` (default) runs on the SDK's in-memory
 * upstreams; `env` uses the real ones configured in the environment
 * (AUTHENTIK_API_URL, STALWART_API_URL, OCIS_API_URL, STRIPE_SECRET_KEY, ...).
 */
export const upstreams: 'memory' | 'env' = process.env.DEZKY_UPSTREAMS === 'env' ? 'env' : 'memory'

let provisioner: Provisioner | undefined
let members: Members | undefined
let verifier: TokenVerifier | undefined

/** The process-wide provisioner (tenant lifecycle). */
export function useProvisioner(): Provisioner {
  provisioner ??= upstreams === 'env' ? Provisioner.fromEnv() : Provisioner.inMemory()
  return provisioner
}

/** The process-wide member operations. */
export function useMembers(): Members {
  members ??= upstreams === 'env' ? Members.fromEnv() : Members.inMemory()
  return members
}

/**
 * The process-wide token verifier, for the comma-separated AUTHENTIK_ISSUER and
 * AUTHENTIK_AUDIENCE (the portal's and the operator's clients). Keys are read
 * from each issuer's discovery document and JWKS, and cached.
 */
export function useVerifier(): TokenVerifier {
  verifier ??= TokenVerifier.fromEnv()
  return verifier
}

/**
 * On the in-memory upstreams the identity upstream of the members is separate
 * from the provisioner's: it is told about a tenant's group once the tenant
 * has one. Real upstreams share Authentik, so there is nothing to do.
 */
export function knowTenantGroup(tenant: TenantDocument): void {
  if (upstreams === 'memory' && typeof tenant.authentikGroupId === 'string') {
    useMembers().addMemoryGroup(tenant.authentikGroupId)
  }
}

/** Who the audit log names for a change: the token's email, else its subject. */
export function changedBy(actor: { subject: string; email?: string | null }): string {
  return actor.email ?? actor.subject
}
