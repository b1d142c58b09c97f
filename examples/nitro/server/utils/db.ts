import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

import { DezkyError, ErrorCode, applyMemberPatch, applyTenantPatch } from '@dezky/sdk'
import type { AuditEvent, DomainDocument, MemberPatch, SsoAppRecord, TenantDocument, TenantPatch } from '@dezky/sdk'

import { knowTenantGroup } from './sdk'

type UserDocument = Record<string, any> & { _id: string; authentikSubjectId: string }
type PartnerDocument = Record<string, any> & { _id: string; slug: string }
type StoredDomain = DomainDocument & { _id: string }
type StoredSsoApp = SsoAppRecord & { _id: string }

/**
 * The control plane's collections, in memory: tenants, users, partners, mail
 * domains, SSO apps and the audit log. A real server reads and writes MongoDB here; the SDK's patches
 * are version-guarded writes (`updateOne(patch.filter, patch.update)`), applied
 * in memory by `applyTenantPatch` / `applyMemberPatch`.
 *
 * DEZKY_PORTAL_SEED names a JSON file `{tenants, users, partners, domains,
 * ssoApps}` loaded at start.
 */
export interface Db {
  tenants: Map<string, TenantDocument>
  users: Map<string, UserDocument>
  partners: Map<string, PartnerDocument>
  domains: Map<string, StoredDomain>
  ssoApps: Map<string, StoredSsoApp>
  audit: AuditEvent[]
}

let db: Db | undefined

export function useDb(): Db {
  if (!db) {
    db = { tenants: new Map(), users: new Map(), partners: new Map(), domains: new Map(), ssoApps: new Map(), audit: [] }
    const seed = process.env.DEZKY_PORTAL_SEED
    if (seed) {
      const data = JSON.parse(readFileSync(seed, 'utf8'))
      for (const t of data.tenants ?? []) {
        db.tenants.set(t._id, t)
        knowTenantGroup(t)
      }
      for (const u of data.users ?? []) db.users.set(u._id, u)
      for (const p of data.partners ?? []) db.partners.set(p._id, p)
      for (const d of data.domains ?? []) db.domains.set(d._id, d)
      for (const a of data.ssoApps ?? []) db.ssoApps.set(a._id, a)
    }
  }
  return db
}

/** An id as a string: documents the SDK returns hold ids as extended JSON (`{$oid}`). */
export function idOf(value: unknown): string {
  if (value && typeof value === 'object' && typeof (value as { $oid?: unknown }).$oid === 'string') {
    return (value as { $oid: string }).$oid
  }
  return String(value)
}

/** A new ObjectId's hex string. */
export function newObjectId(): string {
  return randomBytes(12).toString('hex')
}

function notFound(what: string, key: string): DezkyError {
  return new DezkyError(ErrorCode.NOT_FOUND, `no ${what} ${JSON.stringify(key)}`, { reason: `no such ${what}` })
}

export function tenantBySlug(slug: string): TenantDocument {
  for (const t of useDb().tenants.values()) if (t.slug === slug) return t
  throw notFound('tenant', slug)
}

export function partnerBySlug(slug: string): PartnerDocument {
  for (const p of useDb().partners.values()) if (p.slug === slug) return p
  throw notFound('partner', slug)
}

/** The domain document `name` of `tenant` (the `domains` collection's `{tenantId, name}`). */
export function domainByName(tenant: TenantDocument, name: string): StoredDomain {
  const tenantId = idOf(tenant._id)
  const wanted = name.trim().toLowerCase().replace(/\.$/, '')
  for (const d of useDb().domains.values()) if (idOf(d.tenantId) === tenantId && d.name === wanted) return d
  throw notFound('domain', name)
}

/** The tenant's domain documents. */
export function domainsOf(tenant: TenantDocument): StoredDomain[] {
  const tenantId = idOf(tenant._id)
  return [...useDb().domains.values()].filter((d) => idOf(d.tenantId) === tenantId)
}

/** The SSO-app record `slug` of `tenant` (the `tenantSsoApps` collection). */
export function ssoAppBySlug(tenant: TenantDocument, slug: string): StoredSsoApp {
  const tenantId = idOf(tenant._id)
  for (const a of useDb().ssoApps.values()) if (idOf(a.tenantId) === tenantId && a.slug === slug) return a
  throw notFound('SSO app', slug)
}

export function userById(id: string): UserDocument {
  const user = useDb().users.get(id)
  if (!user) throw notFound('user', id)
  return user
}

export function userBySubject(subject: string): UserDocument | undefined {
  for (const u of useDb().users.values()) if (u.authentikSubjectId === subject) return u
  return undefined
}

export function partnerOf(tenant: TenantDocument): PartnerDocument | null {
  const id = tenant.partnerId
  return id ? (useDb().partners.get(idOf(id)) ?? null) : null
}

export function saveTenant(tenant: TenantDocument, patch: TenantPatch): TenantDocument {
  const next = applyTenantPatch(tenant, patch)
  useDb().tenants.set(idOf(next._id), next)
  return next
}

/** Applies a version-guarded write to a domain document (a `TenantPatch` of that document). */
export function saveDomain(domain: StoredDomain, patch: TenantPatch): StoredDomain {
  const next = updateOne(domain, patch)
  useDb().domains.set(domain._id, next)
  return next
}

/** Applies a version-guarded write to a partner document. */
export function savePartner(partner: PartnerDocument, patch: TenantPatch): PartnerDocument {
  const next = updateOne(partner, patch)
  useDb().partners.set(partner._id, next)
  return next
}

/**
 * What MongoDB's `updateOne(patch.filter, patch.update)` does to `doc`, for the
 * documents `applyTenantPatch` does not read (domains, partners): the filter
 * (the id, and the `__v` read or `{$exists: false}`) must match, else
 * `DEZKY_VERSION_CONFLICT`; then
 * `$set`, `$unset` and `$inc` of top-level fields.
 */
function updateOne<T extends Record<string, any>>(doc: T, patch: TenantPatch): T {
  const { filter, update } = patch as unknown as { filter: Record<string, unknown>; update: Record<string, any> | null }
  if (!update) return doc
  for (const [key, wanted] of Object.entries(filter)) {
    const exists = (wanted as { $exists?: boolean } | null)?.$exists
    const matches =
      key === '_id' ? idOf(doc._id) === idOf(wanted) : exists !== undefined ? (doc[key] !== undefined) === exists : doc[key] === wanted
    if (!matches) {
      throw new DezkyError(ErrorCode.VERSION_CONFLICT, `the document changed since it was read (${key})`, {
        tenant: idOf(doc._id),
        expectedVersion: filter.__v,
      })
    }
  }
  const next: Record<string, any> = { ...doc }
  for (const [key, value] of Object.entries(update.$set ?? {})) next[key] = value
  for (const key of Object.keys(update.$unset ?? {})) delete next[key]
  for (const [key, value] of Object.entries(update.$inc ?? {})) next[key] = (next[key] ?? 0) + (value as number)
  return next as T
}

export function saveUser(user: UserDocument, patch: MemberPatch): UserDocument {
  const next = applyMemberPatch(user, patch) as UserDocument
  useDb().users.set(next._id, next)
  return next
}

export function record(events: AuditEvent[] | undefined): void {
  if (events) useDb().audit.push(...events)
}
