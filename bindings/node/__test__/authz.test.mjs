// The authorization rules (dezky_core::authz) over plain objects: a table of
// allowed and refused cases, record shapes (ObjectIds, {$oid}, both tenantRoles
// shapes) and bad input of every function.
import assert from 'node:assert/strict'
import test from 'node:test'

import {
  DezkyError,
  ErrorCode,
  assertCode,
  requireCanForceLogout,
  requireCanSuspend,
  requireOperator,
  requireOwnActiveRecord,
  requirePartnerStaff,
  requirePartnerTenant,
  requirePlatformAdmin,
  requireTenantAdmin,
  requireTenantMember,
} from './helpers.mjs'

const ACME = '6650f1c2a9b4e3d2c1b0a998'
const GLOBEX = '6650f1c2a9b4e3d2c1b0a999'
const NORDIC = '6650f1c2a9b4e3d2c1b0aaaa'
const OTHER = '6650f1c2a9b4e3d2c1b0abbb'

class ObjectId {
  constructor(hex) {
    this.hex = hex
  }
  toHexString() {
    return this.hex
  }
}

const user = (id, fields = {}) => ({ _id: id, authentikSubjectId: `sub-${id}`, ...fields })
const acme = { _id: ACME, slug: 'acme', plan: 'business', partnerId: NORDIC }
const globex = { _id: GLOBEX, slug: 'globex', plan: 'starter' }
const nordic = { _id: NORDIC, slug: 'nordic-it' }
const otherPartner = { _id: OTHER, slug: 'other' }

const admin = user('u-admin', { platformAdmin: true })
const adminOff = user('u-admin-off', { platformAdmin: true, active: false })
const member = user('u-member', { tenantIds: [ACME] })
const tadmin = user('u-tadmin', { tenantIds: [ACME], tenantRoles: { [ACME]: 'admin' } })
const tadmin2 = user('u-tadmin2', { tenantIds: [ACME, GLOBEX], tenantRoles: [{ tenantId: ACME, role: 'admin' }] })
const roleOnly = user('u-role', { tenantIds: [ACME], role: 'admin' })
const rolesNoMember = user('u-nomember', { tenantIds: [], tenantRoles: { [ACME]: 'admin' } })
const staff = user('u-staff', { partnerId: NORDIC })
const staffOther = user('u-staff2', { partnerId: OTHER })
const nobody = user('u-nobody')
const member2 = user('u-member2', { tenantIds: [ACME] })
const globexUser = user('u-globex', { tenantIds: [GLOBEX] })
const adminInAcme = user('u-admin-acme', { tenantIds: [ACME], platformAdmin: true })
// A driver document: ObjectIds everywhere, extra fields, nulls.
const driverAdmin = {
  _id: new ObjectId('6650f1c2a9b4e3d2c1b0c001'),
  authentikSubjectId: 'sub-driver',
  tenantIds: [new ObjectId(ACME)],
  tenantRoles: [{ tenantId: new ObjectId(ACME), role: 'admin' }],
  partnerId: null,
  createdAt: new Date(0).toISOString(),
  email: 'driver@example.com',
}

const a = (u, surface = 'portal') => ({ subject: u.authentikSubjectId, surface })
const op = (u) => a(u, 'operator')
const ALLOW = true
const DENY = false

const ROWS = [
  ['operator: admin via operator app', () => requireOperator(op(admin), admin), ALLOW],
  ['operator: admin via portal', () => requireOperator(a(admin), admin), DENY],
  ['operator: non-admin via operator app', () => requireOperator(op(member), member), DENY],
  ['operator: deactivated admin', () => requireOperator(op(adminOff), adminOff), DENY],
  ["operator: someone else's record", () => requireOperator(op(member), admin), DENY],
  ['operator: groups claim says admin, db does not', () => requireOperator({ ...op(nobody), groups: ['admins'] }, nobody), DENY],
  ['platform admin: via portal', () => requirePlatformAdmin(a(admin), admin), ALLOW],
  ['platform admin: via operator', () => requirePlatformAdmin(op(admin), admin), ALLOW],
  ['platform admin: member', () => requirePlatformAdmin(a(member), member), DENY],
  ['platform admin: deactivated', () => requirePlatformAdmin(a(adminOff), adminOff), DENY],
  ['member: of acme', () => requireTenantMember(a(member), member, acme), ALLOW],
  ['member: of globex', () => requireTenantMember(a(member), member, globex), DENY],
  ['member: platform admin anywhere', () => requireTenantMember(a(admin), admin, globex), ALLOW],
  ['member: nobody', () => requireTenantMember(a(nobody), nobody, acme), DENY],
  ['member: partner staff is not a member', () => requireTenantMember(a(staff), staff, acme), DENY],
  ['member: roles without membership', () => requireTenantMember(a(rolesNoMember), rolesNoMember, acme), DENY],
  ['member: record of another subject', () => requireTenantMember(a(nobody), member, acme), DENY],
  ['member: driver document', () => requireTenantMember(a(driverAdmin), driverAdmin, acme), ALLOW],
  ['tenant admin: acme admin', () => requireTenantAdmin(a(tadmin), tadmin, acme), ALLOW],
  ['tenant admin: list-shaped roles', () => requireTenantAdmin(a(tadmin2), tadmin2, acme), ALLOW],
  ['tenant admin: member only in globex', () => requireTenantAdmin(a(tadmin2), tadmin2, globex), DENY],
  ['tenant admin: plain member', () => requireTenantAdmin(a(member), member, acme), DENY],
  ['tenant admin: legacy role is not enough', () => requireTenantAdmin(a(roleOnly), roleOnly, acme), DENY],
  ['tenant admin: role without membership', () => requireTenantAdmin(a(rolesNoMember), rolesNoMember, acme), DENY],
  ['tenant admin: platform admin', () => requireTenantAdmin(a(admin), admin, acme), ALLOW],
  ['tenant admin: driver document, tenant as ObjectId', () => requireTenantAdmin(a(driverAdmin), driverAdmin, { ...acme, _id: new ObjectId(ACME) }), ALLOW],
  ['tenant admin: tenant id as {$oid}', () => requireTenantAdmin(a(tadmin), tadmin, { ...acme, _id: { $oid: ACME } }), ALLOW],
  ['partner: own partner', () => requirePartnerStaff(a(staff), staff, nordic), ALLOW],
  ['partner: other partner', () => requirePartnerStaff(a(staff), staff, otherPartner), DENY],
  ['partner: platform admin is not staff', () => requirePartnerStaff(a(admin), admin, nordic), DENY],
  ['partner: member', () => requirePartnerStaff(a(member), member, nordic), DENY],
  ['partner tenant: own customer', () => requirePartnerTenant(a(staff), staff, nordic, acme), ALLOW],
  ['partner tenant: tenant without partner', () => requirePartnerTenant(a(staff), staff, nordic, globex), DENY],
  ['partner tenant: staff of another partner', () => requirePartnerTenant(a(staffOther), staffOther, nordic, acme), DENY],
  ["partner tenant: claims another partner's tenant", () => requirePartnerTenant(a(staffOther), staffOther, otherPartner, acme), DENY],
  ['suspend: admin suspends a member', () => requireCanSuspend(a(tadmin), tadmin, acme, member), ALLOW],
  ['suspend: admin suspends self', () => requireCanSuspend(a(tadmin), tadmin, acme, tadmin), DENY],
  ['suspend: admin suspends another admin', () => requireCanSuspend(a(tadmin), tadmin, acme, tadmin2), ALLOW],
  ['suspend: member suspends a member', () => requireCanSuspend(a(member), member, acme, member2), DENY],
  ['suspend: target outside the tenant', () => requireCanSuspend(a(tadmin), tadmin, acme, globexUser), DENY],
  ['suspend: tenant admin vs platform admin', () => requireCanSuspend(a(tadmin), tadmin, acme, adminInAcme), DENY],
  ['suspend: platform admin suspends self', () => requireCanSuspend(a(adminInAcme), adminInAcme, acme, adminInAcme), DENY],
  ['suspend: platform admin suspends a member', () => requireCanSuspend(a(admin), admin, acme, member), ALLOW],
  ['force-logout: admin logs out a member', () => requireCanForceLogout(a(tadmin), tadmin, acme, member), ALLOW],
  ['force-logout: admin logs out self', () => requireCanForceLogout(a(tadmin), tadmin, acme, tadmin), DENY],
  ['force-logout: self by subject, other record id', () => requireCanForceLogout(a(tadmin), tadmin, acme, { ...member, authentikSubjectId: tadmin.authentikSubjectId }), DENY],
  ['force-logout: member', () => requireCanForceLogout(a(member), member, acme, member2), DENY],
  ["force-logout: other tenant's admin", () => requireCanForceLogout(a(tadmin), tadmin, globex, globexUser), DENY],
  ['own record: active', () => requireOwnActiveRecord(a(member), member), ALLOW],
  ['own record: deactivated', () => requireOwnActiveRecord(a(adminOff), adminOff), DENY],
  ['own record: active null means active', () => requireOwnActiveRecord(a(member), { ...member, active: null }), ALLOW],
]

test('the rules table', () => {
  const wrong = []
  for (const [name, run, expected] of ROWS) {
    let got
    try {
      assert.equal(run(), undefined)
      got = ALLOW
    } catch (e) {
      if (!(e instanceof DezkyError) || e.code !== ErrorCode.FORBIDDEN) {
        wrong.push(`${name}: threw ${e.code}: ${e.message}`)
        continue
      }
      got = DENY
    }
    if (got !== expected) wrong.push(`${name}: got allow=${got}, expected allow=${expected}`)
  }
  assert.deepEqual(wrong, [])
})

test('a refusal says which rule refused', async () => {
  const e = await assertCode(() => requireTenantAdmin(a(member), member, acme), ErrorCode.FORBIDDEN)
  assert.match(e.message, /not an admin of tenant acme/)
})

test('an actor from verifyToken fits (extra fields are ignored)', () => {
  const actor = { subject: tadmin.authentikSubjectId, email: null, name: 'T', groups: [], surface: 'portal', issuer: 'https://x/', audience: 'dezky-portal', expiresAt: 1 }
  assert.equal(requireTenantAdmin(actor, tadmin, acme), undefined)
})

// Bad input: every argument of every function, with the field named.
const FUNCTIONS = [
  ['requireOwnActiveRecord', requireOwnActiveRecord, [a(member), member]],
  ['requireOperator', requireOperator, [op(admin), admin]],
  ['requirePlatformAdmin', requirePlatformAdmin, [a(admin), admin]],
  ['requireTenantMember', requireTenantMember, [a(member), member, acme]],
  ['requireTenantAdmin', requireTenantAdmin, [a(tadmin), tadmin, acme]],
  ['requirePartnerStaff', requirePartnerStaff, [a(staff), staff, nordic]],
  ['requirePartnerTenant', requirePartnerTenant, [a(staff), staff, nordic, acme]],
  ['requireCanSuspend', requireCanSuspend, [a(tadmin), tadmin, acme, member]],
  ['requireCanForceLogout', requireCanForceLogout, [a(tadmin), tadmin, acme, member]],
]

const ARG_NAMES = {
  requireOwnActiveRecord: ['actor', 'user'],
  requireOperator: ['actor', 'user'],
  requirePlatformAdmin: ['actor', 'user'],
  requireTenantMember: ['actor', 'user', 'tenant'],
  requireTenantAdmin: ['actor', 'user', 'tenant'],
  requirePartnerStaff: ['actor', 'user', 'partner'],
  requirePartnerTenant: ['actor', 'user', 'partner', 'tenant'],
  requireCanSuspend: ['actor', 'user', 'tenant', 'target'],
  requireCanForceLogout: ['actor', 'user', 'tenant', 'target'],
}

for (const [name, fn, good] of FUNCTIONS) {
  test(`${name}: the good arguments allow`, () => {
    assert.equal(fn(...good), undefined)
  })

  test(`${name}: bad arguments throw DEZKY_INVALID_ARGUMENT naming the argument`, () => {
    ARG_NAMES[name].forEach((argument, i) => {
      for (const bad of [undefined, null, 42, 'x', [], () => {}]) {
        const args = [...good]
        args[i] = bad
        assert.throws(
          () => fn(...args),
          (e) => e instanceof DezkyError && e.code === 'DEZKY_INVALID_ARGUMENT' && e.argument === argument,
          `${name} with ${argument} = ${String(bad)}`,
        )
      }
    })
  })
}

test('bad fields are DEZKY_INVALID_ARGUMENT with the field path', () => {
  const cases = [
    [() => requireTenantMember({ surface: 'portal' }, member, acme), 'actor.subject'],
    [() => requireTenantMember({ subject: 7, surface: 'portal' }, member, acme), 'actor.subject'],
    [() => requireTenantMember({ subject: '', surface: 'portal' }, member, acme), 'actor.subject'],
    [() => requireTenantMember({ subject: 's' }, member, acme), 'actor.surface'],
    [() => requireTenantMember({ subject: 's', surface: 'partner' }, member, acme), 'actor.surface'],
    [() => requireTenantMember(a(member), { authentikSubjectId: 's' }, acme), 'user.id'],
    [() => requireTenantMember(a(member), { _id: 'a', id: 'b', authentikSubjectId: 's' }, acme), 'user.id'],
    [() => requireTenantMember(a(member), { _id: 5, authentikSubjectId: 's' }, acme), 'user.id'],
    [() => requireTenantMember(a(member), { _id: 'u' }, acme), 'user.authentikSubjectId'],
    [() => requireTenantMember(a(member), { _id: 'u', authentikSubjectId: 3 }, acme), 'user.authentikSubjectId'],
    [() => requireTenantMember(a(member), { ...member, tenantIds: 'acme' }, acme), 'user'],
    [() => requireTenantMember(a(member), { ...member, platformAdmin: 'yes' }, acme), 'user'],
    [() => requireTenantMember(a(member), { ...member, tenantIds: [{ toHexString: () => 5 }] }, acme), 'user.tenantIds[0]'],
    [() => requireTenantMember(a(member), member, { slug: 'acme' }), 'tenant.id'],
    [() => requireTenantMember(a(member), member, { ...acme, slug: 5 }), 'tenant.slug'],
    [() => requireTenantMember(a(member), member, { ...acme, partnerId: 5 }), 'tenant.partnerId'],
    [() => requirePartnerStaff(a(staff), staff, { slug: 'nordic-it' }), 'partner.id'],
    [() => requireCanSuspend(a(tadmin), tadmin, acme, { _id: 'x' }), 'target.authentikSubjectId'],
  ]
  for (const [run, field] of cases) {
    assert.throws(run, (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === field, field)
  }
})

test('deeply nested or cyclic records are refused, not looped on', () => {
  const cyclic = { ...member }
  cyclic.self = cyclic
  assert.throws(() => requireTenantMember(a(member), cyclic, acme), (e) => e.code === 'DEZKY_INVALID_ARGUMENT')
})
