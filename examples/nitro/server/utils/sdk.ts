import { randomBytes } from 'node:crypto'

import { AuthentikClient, Domains, Members, Provisioner, SsoApps, TokenVerifier } from '@dezky/sdk'
import type { AddedDomain, AuthentikSsoApp, AuthentikSsoAppSpec, ResolverOptions, TenantDocument } from '@dezky/sdk'

/**
 * Where the upstreams are: `memory` (default) runs on the SDK's in-memory
 * upstreams; `env` uses the real ones configured in the environment
 * (AUTHENTIK_API_URL, STALWART_API_URL, OCIS_API_URL, STRIPE_SECRET_KEY, ...).
 */
export const upstreams: 'memory' | 'env' = process.env.DEZKY_UPSTREAMS === 'env' ? 'env' : 'memory'

let provisioner: Provisioner | undefined
let members: Members | undefined
let verifier: TokenVerifier | undefined
let domains: Domains | undefined
let ssoApps: SsoApps | undefined
let authentik: AuthentikClient | undefined

/** The process-wide provisioner (tenant lifecycle). */
export function useProvisioner(): Provisioner {
  provisioner ??= upstreams === 'env' ? Provisioner.fromEnv() : Provisioner.inMemory()
  return provisioner
}

/** The process-wide member operations. */
export function useMembers(): Members {
  if (!members) {
    members = upstreams === 'env' ? Members.fromEnv() : Members.inMemory()
    // Partner staff join the shared group, which exists in Authentik already.
    if (upstreams === 'memory') members.addMemoryGroup('dezky-partner-staff')
  }
  return members
}

/** The process-wide mail-domain operations (Stalwart, or the in-memory mail server). */
export function useDomains(): Domains {
  domains ??= upstreams === 'env' ? Domains.fromEnv() : Domains.inMemory()
  return domains
}

/** The process-wide SSO-app operations (Authentik, or the in-memory identity provider). */
export function useSsoApps(): SsoApps {
  ssoApps ??= upstreams === 'env' ? SsoApps.fromEnv() : SsoApps.inMemory()
  return ssoApps
}

/**
 * Creates a tenant's SSO app: the OAuth2 provider, the application and the
 * binding of the tenant's group (`AuthentikClient.createSsoApp`, which
 * removes what it made when a later step fails). On the in-memory upstreams
 * the application and its binding are made on the in-memory identity
 * provider that `useSsoApps` lists and deletes from, and the client id and
 * secret are drawn here, standing in for the ones Authentik generates.
 */
export async function createSsoApp(spec: AuthentikSsoAppSpec): Promise<AuthentikSsoApp> {
  if (upstreams === 'env') {
    authentik ??= AuthentikClient.fromEnv()
    return authentik.createSsoApp(spec)
  }
  const application = useSsoApps().insertMemoryApp(spec.slug, spec.groupPk ?? null)
  return {
    application: { pk: application.pk, slug: application.slug, name: spec.name, provider: application.provider ?? undefined, launchUrl: spec.launchUrl },
    providerPk: application.provider ?? 0,
    clientId: randomBytes(20).toString('hex'),
    clientSecret: randomBytes(32).toString('base64url'),
    issuer: `http://authentik.invalid/application/o/${spec.slug}/`,
    signingKey: 'memory',
  }
}

/**
 * The nameservers a domain's records are checked against
 * (`DEZKY_DNS_NAMESERVERS`, comma-separated IP addresses, with
 * `DEZKY_DNS_PORT` and `DEZKY_DNS_TIMEOUT_MS`); unset, the SDK's public
 * resolvers.
 */
export function dnsResolver(): ResolverOptions | null {
  const nameservers = process.env.DEZKY_DNS_NAMESERVERS
  if (!nameservers) return null
  const options: ResolverOptions = { nameservers: nameservers.split(',').map((s) => s.trim()).filter(Boolean) }
  if (process.env.DEZKY_DNS_PORT) options.port = Number(process.env.DEZKY_DNS_PORT)
  if (process.env.DEZKY_DNS_TIMEOUT_MS) options.timeoutMs = Number(process.env.DEZKY_DNS_TIMEOUT_MS)
  return options
}

/**
 * The ownership token of an added domain, to show the tenant admin once.
 * The only place that reads it from `Domains.addDomain`'s result.
 */
export function ownershipTokenOf(added: AddedDomain): string {
  return added.ownershipToken
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
