// Partners (resellers) as pure functions (the rules are the core's:
// dezky-core/tests/partners.rs): the operator rule for each, bad input by
// field, terminate as a status and its repetition, attach refused for a
// terminated partner, detach removing the field from the document.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import {
  applyTenantPatch,
  assertCode,
  attachTenant,
  createPartner,
  detachTenant,
  terminatePartner,
  TENANT,
} from '../__test__/helpers.mjs'

const PARTNER = '6650f1c2a9b4e3d2c1b0a777'
const AT = 1_700_000_000_000
const STAMP = '2023-11-14T22:13:20.000Z'

const user = (platformAdmin, role = 'admin') => ({
  _id: '6650f1c2a9b4e3d2c1b0a001',
  authentikSubjectId: 'sub-op',
  tenantIds: [TENANT],
  tenantRoles: { [TENANT]: role },
  platformAdmin,
})
const caller = (surface = 'operator', platformAdmin = true) => ({
  actor: { subject: 'sub-op', surface, email: 'op@dezky.test' },
  user: user(platformAdmin),
  at: AT,
})
const OP = caller()

const partner = (status) => ({ _id: PARTNER, slug: 'resell', name: 'Resell', status, __v: 2 })
const tenant = (partnerId) => ({
  _id: TENANT,
  slug: 'acme',
  name: 'Acme Co',
  status: 'active',
  plan: 'business',
  ...(partnerId ? { partnerId: { $oid: partnerId } } : {}),
  __v: 3,
})

test('every partner function needs an operator', () => {
  const refused = [caller('portal', true), caller('operator', false)]
  for (const who of refused) {
    assert.throws(() => createPartner({ slug: 'resell', name: 'Resell' }, who), (e) => e.code === 'DEZKY_FORBIDDEN')
    assert.throws(() => terminatePartner(partner('active'), who), (e) => e.code === 'DEZKY_FORBIDDEN')
    assert.throws(() => attachTenant(tenant(), partner('active'), who), (e) => e.code === 'DEZKY_FORBIDDEN')
    assert.throws(() => detachTenant(tenant(PARTNER), who), (e) => e.code === 'DEZKY_FORBIDDEN')
  }
})

test('createPartner checks its input, naming the field', async () => {
  const created = createPartner({ slug: 'resell', name: ' Resell ApS ', domain: 'Resell.Test', marginPct: 20 }, OP)
  assert.equal(created.document.status, 'active')
  assert.equal(created.document.name, 'Resell ApS')
  assert.equal(created.document.domain, 'resell.test')
  assert.equal(created.events[0].action, 'partner.create')
  const bad = [
    [{ slug: 'Bad Slug', name: 'x' }, 'partner.slug'],
    [{ slug: 'ok', name: ' ' }, 'partner.name'],
    [{ slug: 'ok', name: 'x', domain: 'nodot' }, 'partner.domain'],
    [{ slug: 'ok', name: 'x', marginPct: 101 }, 'partner.marginPct'],
    [{ slug: 'ok', name: 'x', colour: 'red' }, 'partner.colour'],
    [{ name: 'x' }, 'partner.slug'],
  ]
  for (const [input, field] of bad) {
    await assertCode(() => createPartner(input, OP), 'DEZKY_INVALID_ARGUMENT', { field })
  }
  await assertCode(() => createPartner('resell', OP), 'DEZKY_INVALID_ARGUMENT', { field: 'partner' })
})

test('terminate is a status; terminating again changes nothing', () => {
  const t = terminatePartner(partner('active'), OP)
  assert.equal(t.action, 'partner.terminate')
  assert.equal(t.patch.update.$set.status, 'terminated')
  assert.equal(t.patch.update.$set.terminatedAt, STAMP)
  assert.deepEqual(t.patch.filter, { _id: { $oid: PARTNER }, __v: 2 })
  const again = terminatePartner(partner('terminated'), OP)
  assert.equal(again.patch.update, null)
  assert.equal(again.events[0].metadata.alreadyTerminated, true)
  assert.throws(() => terminatePartner({ ...partner('active'), status: 'gone' }, OP), (e) => e.field === 'partner.status')
})

test('attach is refused for a terminated partner; detach removes the field', () => {
  assert.throws(
    () => attachTenant(tenant(), partner('terminated'), OP),
    (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === 'partner.status',
  )
  const a = attachTenant(tenant(), partner('suspended'), OP)
  assert.equal(a.action, 'tenant.partner_attach')
  assert.deepEqual(a.patch.update.$set.partnerId, { $oid: PARTNER })
  assert.equal(a.patch.filter.__v, 3)
  assert.equal(attachTenant(tenant(PARTNER), partner('active'), OP).patch.update, null)

  const d = detachTenant(tenant(PARTNER), OP)
  assert.equal(d.action, 'tenant.partner_detach')
  assert.ok('partnerId' in d.patch.update.$unset)
  assert.ok(!('partnerId' in (d.patch.update.$set ?? {})))
  const after = applyTenantPatch(tenant(PARTNER), d.patch)
  assert.ok(!('partnerId' in after))
  assert.equal(detachTenant(tenant(), OP).patch.update, null)
})
