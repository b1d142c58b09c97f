import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

import { DezkyError, ErrorCode, applyMemberPatch, applyTenantPatch } from '@dezky/sdk'
import type { AuditEvent, MemberPatch, TenantDocument, TenantPatch } from '@dezky/sdk'

import { knowTenantGroup } from './sdk'

type UserDocument = Record<string, any> & { _id: string; authentikSubjectId: string }
type PartnerDocument = Record<string, any> & { _id: string; slug: string }

/**
 * The control plane's collections, in memory: tenants, users, partners and the
 * audit log. A real server reads and writes MongoDB here; the SDK's patches
 * are version-guarded writes (`updateOne(patch.filter, patch.update)`), applied
 * in memory by `applyTenantPatch` / `applyMemberPatch`.
 *
 * DEZKY_PORTAL_SEED names a JSON file `{tenants, users, partners}` loaded at start.
 */
export interface Db {
  tenants: Map<string, TenantDocument>
  users: Map<string, UserDocument>
  partners: Map<string, PartnerDocument>
  audit: AuditEvent[]
}

let db: Db | undefined

export function useDb(): Db {
  if (!db) {
    db = { tenants: new Map(), users: new Map(), partners: new Map(), audit: [] }
    const seed = process.env.DEZKY_PORTAL_SEED
    if (seed) {
      const data = JSON.parse(readFileSync(seed, 'utf8'))
      for (const t of data.tenants ?? []) {
        db.tenants.set(t._id, t)
        knowTenantGroup(t)
      }
      for (const u of data.users ?? []) db.users.set(u._id, u)
      for (const p of data.partners ?? []) db.partners.set(p._id, p)
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

export function saveUser(user: UserDocument, patch: MemberPatch): UserDocument {
  const next = applyMemberPatch(user, patch) as UserDocument
  useDb().users.set(next._id, next)
  return next
}

export function record(events: AuditEvent[] | undefined): void {
  if (events) useDb().audit.push(...events)
}
