// A tenant's members through the in-memory upstreams of dezky-core (the rules
// are the core's: dezky-core/tests/members.rs): create with its one-time
// password, suspend and resume, force-logout, reset, remove, partner staff,
// /me; refusals, bad input, faults at each create step leaving nothing
// behind, and the password kept out of inspect, JSON and error text.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { inspect } from 'node:util'

import {
  DezkyError,
  Members,
  OneTimeSecret,
  applyMemberPatch,
  assertCode,
  me,
  toHttpError,
  TENANT,
} from '../__test__/helpers.mjs'

const GROUP = '6a3c2e1f-0c4b-4a5e-9d62-000000000001'
const ADMIN_ID = '6650f1c2a9b4e3d2c1b0a001'
const ALICE_ID = '6650f1c2a9b4e3d2c1b0a111'
const PARTNER = '6650f1c2a9b4e3d2c1b0a777'
/** 2023-11-14T22:13:20.000Z */
const AT = 1_700_000_000_000

function tenant(status = 'active') {
  return {
    _id: TENANT,
    slug: 'acme',
    name: 'Acme Co',
    status,
    plan: 'business',
    domains: ['acme.test'],
    authentikGroupId: GROUP,
    stalwartDomain: 'acme.test',
    __v: 4,
  }
}

const ADMIN = {
  _id: ADMIN_ID,
  authentikSubjectId: 'sub-admin',
  email: 'admin@acme.test',
  tenantIds: [TENANT],
  tenantRoles: { [TENANT]: 'admin' },
}

const actor = (subject = 'sub-admin', email = 'admin@acme.test') => ({
  subject,
  surface: 'portal',
  email,
  name: 'Ada Admin',
  groups: [],
  issuer: 'https://id.dezky.local/application/o/dezky-portal/',
  audience: 'dezky-portal',
  expiresAt: 2_000_000_000,
})

const caller = (user = ADMIN, a = actor()) => ({ actor: a, user, at: AT })

function world() {
  const members = Members.inMemory()
  members.addMemoryGroup(GROUP)
  return members
}

const empty = (m) => ['identity', 'mailbox', 'files'].every((k) => m.memoryResources(k).length === 0)

/** Creates alice; returns her stored document (with an id) and the creation. */
async function alice(members) {
  const created = await members.createMember(
    tenant(),
    { email: ' Alice@ACME.test ', name: 'Alice Liddell', quotaBytes: 1 << 30 },
    caller(),
  )
  return { created, doc: { ...created.document, _id: ALICE_ID } }
}

test('createMember makes the identity, mailbox and files account with one one-time password', async () => {
  const members = world()
  const { created, doc } = await alice(members)
  assert.equal(created.member.email, 'alice@acme.test')
  assert.equal(created.member.tenantId, TENANT)
  assert.equal(created.member.role, 'member')
  assert.deepEqual(
    created.member.resources.map((r) => r.kind),
    ['identity', 'mailbox', 'files'],
  )
  assert.equal(doc.email, 'alice@acme.test')
  // Ids as MongoDB's extended JSON, ready to insert.
  assert.deepEqual(doc.tenantIds, [{ $oid: TENANT }])
  assert.deepEqual(doc.tenantRoles, { [TENANT]: 'member' })
  assert.equal(doc.__v, 0)
  assert.deepEqual(
    created.events.map((e) => [e.action, e.outcome, e.actorEmail, e.at]),
    [['member.create', 'success', 'admin@acme.test', '2023-11-14T22:13:20.000Z']],
  )

  const [identity] = members.memoryResources('identity')
  assert.equal(identity.name, 'alice@acme.test')
  assert.deepEqual(identity.groups, [GROUP])
  assert.equal(identity.hasPassword, true)
  assert.equal(members.memoryResources('mailbox')[0].name, 'alice@acme.test')
  assert.equal(members.memoryResources('files').length, 1)

  // The password: revealed once, then gone; never shown by inspect, JSON or String.
  assert.ok(created.password instanceof OneTimeSecret)
  assert.equal(created.password.revealed, false)
  const shown = [inspect(created, { depth: 10 }), JSON.stringify(created), String(created.password)]
  const password = created.password.reveal()
  assert.match(password, /^[A-Za-z2-9]{5}(-[A-Za-z2-9]{5}){3}$/)
  for (const text of shown) assert.ok(!text.includes(password), text)
  assert.ok(!inspect(created, { depth: 10 }).includes(password))
  assert.equal(JSON.parse(JSON.stringify(created)).password, '[secret]')
  assert.equal(created.password.revealed, true)
  assert.equal(created.password.reveal(), null)
})

test('a second create of the same email is DEZKY_ALREADY_EXISTS and leaves the first untouched', async () => {
  const members = world()
  await alice(members)
  const error = await assertCode(
    () => members.createMember(tenant(), { email: 'alice@acme.test', name: 'Alice' }, caller()),
    'DEZKY_ALREADY_EXISTS',
  )
  assert.ok(error instanceof DezkyError)
  assert.equal(error.failure.action, 'member.create')
  assert.equal(error.failure.kind, 'identity')
  assert.deepEqual(error.failure.undone, [])
  assert.equal(members.memoryResources('identity').length, 1)
  assert.equal(toHttpError(error).status, 409)
})

for (const [kind, op] of [
  ['identity', 'create'],
  ['mailbox', 'find'],
  ['mailbox', 'create'],
  ['files', 'create'],
]) {
  test(`a fault at ${kind} ${op} removes what the create made and reports the original error`, async () => {
    const members = world()
    members.failNext(kind, op, 'DEZKY_UPSTREAM_UNAVAILABLE', { retryAfterMs: 1500 })
    const error = await assertCode(
      () => members.createMember(tenant(), { email: 'alice@acme.test', name: 'Alice' }, caller()),
      'DEZKY_UPSTREAM_UNAVAILABLE',
      { retryAfterMs: 1500 },
    )
    assert.ok(empty(members), `left behind after a fault at ${kind} ${op}`)
    assert.equal(error.failure.leftBehind, false)
    assert.ok(error.failure.undone.every((u) => u.error === undefined))
    assert.deepEqual(
      error.failure.events.map((e) => [e.action, e.outcome]),
      [['member.create', 'failure']],
    )
    const answer = toHttpError(error)
    assert.equal(answer.status, 503)
    assert.equal(answer.headers['retry-after'], '2')
    assert.equal(answer.body.code, 'DEZKY_UPSTREAM_UNAVAILABLE')
    assert.equal(answer.body.details.failure, undefined)
  })
}

test('a create whose answer was lost is found and removed too', async () => {
  const members = world()
  members.failNext('mailbox', 'create', 'DEZKY_TIMEOUT', { afterEffect: true })
  await assertCode(
    () => members.createMember(tenant(), { email: 'alice@acme.test', name: 'Alice' }, caller()),
    'DEZKY_TIMEOUT',
  )
  assert.ok(empty(members))
  assert.equal(members.memoryCalls('mailbox', 'create'), 1)
})

test('a failing cleanup is reported with what it left behind', async () => {
  const members = world()
  members.failNext('files', 'create', 'DEZKY_UPSTREAM_UNAVAILABLE')
  members.failNext('identity', 'remove', 'DEZKY_UPSTREAM_UNAVAILABLE')
  const error = await assertCode(
    () => members.createMember(tenant(), { email: 'alice@acme.test', name: 'Alice' }, caller()),
    'DEZKY_UPSTREAM_UNAVAILABLE',
  )
  assert.equal(error.failure.leftBehind, true)
  const identity = error.failure.undone.find((u) => u.kind === 'identity')
  assert.equal(identity.error.code, 'DEZKY_UPSTREAM_UNAVAILABLE')
  assert.match(error.message, /undoing identity/)
  assert.equal(members.memoryResources('identity').length, 1)
  assert.equal(members.memoryResources('mailbox').length, 0)
})

test('refusals: not a tenant admin, an inactive tenant, bad input naming the field', async () => {
  const members = world()
  const plain = { ...ADMIN, authentikSubjectId: 'sub-bob', tenantRoles: { [TENANT]: 'member' } }
  await assertCode(
    () => members.createMember(tenant(), { email: 'a@acme.test', name: 'A' }, caller(plain, actor('sub-bob'))),
    'DEZKY_FORBIDDEN',
  )
  // Someone else's record is refused whatever it says.
  await assertCode(
    () => members.createMember(tenant(), { email: 'a@acme.test', name: 'A' }, caller(ADMIN, actor('sub-mallory'))),
    'DEZKY_FORBIDDEN',
  )
  await assertCode(
    () => members.createMember(tenant('suspended'), { email: 'a@acme.test', name: 'A' }, caller()),
    'DEZKY_TENANT_INACTIVE',
  )
  await assertCode(
    () => members.createMember(tenant(), { email: 'not an address', name: 'A' }, caller()),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'member.email' },
  )
  await assertCode(
    () => members.createMember(tenant(), { email: 'a@acme.test', name: 'A', role: 'admin' }, caller()),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'member.role' },
  )
  await assertCode(
    () => members.createMember(tenant(), { email: 'a@acme.test' }, caller()),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'member.name' },
  )
  await assertCode(
    () => members.createMember(tenant(), { email: 'a@acme.test', name: 'A' }, { actor: actor() }),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'caller.user' },
  )
  await assertCode(
    () => members.createMember(tenant(), { email: 'a@acme.test', name: 'A' }, { ...caller(), extra: 1 }),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'caller.extra' },
  )
  await assertCode(
    () => members.createMember({ ...tenant(), status: 'frozen' }, { email: 'a@acme.test', name: 'A' }, caller()),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'tenant.status' },
  )
  await assertCode(() => members.createMember(tenant(), 'alice', caller()), 'DEZKY_INVALID_ARGUMENT')
  assert.ok(empty(members))
})

test('suspend, resume, force-logout and reset; never oneself', async () => {
  const members = world()
  const { doc } = await alice(members)
  const [identity] = members.memoryResources('identity')
  members.openMemorySession('identity', identity.handle)
  members.openMemorySession('identity', identity.handle)

  const suspended = await members.suspendMember(tenant(), doc, caller())
  assert.equal(suspended.action, 'member.suspend')
  assert.equal(members.memoryResources('identity')[0].sessions, 0)
  assert.equal(members.memoryResources('identity')[0].suspended, true)
  assert.equal(members.memoryResources('mailbox')[0].suspended, true)
  assert.equal(suspended.patch.userId, ALICE_ID)
  assert.equal(suspended.patch.expectedVersion, 0)
  const afterSuspend = applyMemberPatch(doc, suspended.patch)
  assert.equal(afterSuspend.active, false)
  assert.equal(afterSuspend.__v, 1)
  assert.ok(afterSuspend.memberSuspensions[TENANT])
  // A stale patch is refused.
  await assertCode(() => applyMemberPatch(afterSuspend, suspended.patch), 'DEZKY_VERSION_CONFLICT', { tenant: ALICE_ID })
  await assertCode(
    () => applyMemberPatch({ ...doc, _id: ADMIN_ID }, suspended.patch),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'patch.userId' },
  )

  const resumed = await members.resumeMember(tenant(), afterSuspend, caller())
  assert.equal(resumed.action, 'member.resume')
  const afterResume = applyMemberPatch(afterSuspend, resumed.patch)
  assert.equal(afterResume.active, true)
  assert.equal(members.memoryResources('identity')[0].suspended, false)
  assert.equal(members.memoryResources('mailbox')[0].suspended, false)

  members.openMemorySession('identity', identity.handle)
  const logout = await members.forceLogout(tenant(), afterResume, caller())
  assert.equal(logout.sessionsEnded, 1)
  assert.equal(logout.patch.update, null)

  const reset = await members.resetPassword(tenant(), afterResume, caller())
  assert.equal(reset.change.action, 'member.reset_password')
  const password = reset.password.reveal()
  assert.equal(typeof password, 'string')
  assert.ok(!JSON.stringify(reset).includes(password))
  assert.ok(!inspect(reset, { depth: 10 }).includes(password))

  // The admin's own record: suspend and force-logout of oneself are refused.
  const self = { ...ADMIN, authentikUserPk: identity.handle }
  await assertCode(() => members.suspendMember(tenant(), self, caller()), 'DEZKY_FORBIDDEN')
  await assertCode(() => members.forceLogout(tenant(), self, caller()), 'DEZKY_FORBIDDEN')
  await assertCode(() => members.removeMember(tenant(), self, caller()), 'DEZKY_FORBIDDEN')
})

test('a fault while suspending undoes what was done', async () => {
  const members = world()
  const { doc } = await alice(members)
  members.failNext('mailbox', 'suspend', 'DEZKY_RATE_LIMITED', { retryAfterMs: 3000 })
  const error = await assertCode(() => members.suspendMember(tenant(), doc, caller()), 'DEZKY_RATE_LIMITED')
  assert.equal(members.memoryResources('identity')[0].suspended, false)
  assert.equal(members.memoryResources('mailbox')[0].suspended, false)
  const answer = toHttpError(error)
  assert.equal(answer.status, 429)
  assert.equal(answer.headers['retry-after'], '3')
})

test('a password reset the mailbox refuses after the identity took it says what was kept', async () => {
  const members = world()
  const { doc } = await alice(members)
  members.failNext('mailbox', 'setPassword', 'DEZKY_UPSTREAM_REJECTED')
  const error = await assertCode(() => members.resetPassword(tenant(), doc, caller()), 'DEZKY_UPSTREAM_REJECTED')
  assert.deepEqual(error.failure.kept, ['identity'])
})

test('removeMember removes every resource and deletes the document of a user with no other use', async () => {
  const members = world()
  const { doc } = await alice(members)
  const removal = await members.removeMember(tenant(), doc, caller())
  assert.equal(removal.complete, true)
  assert.equal(removal.deleteDocument, true)
  assert.deepEqual(
    removal.steps.map((s) => [s.kind, s.outcome]),
    [
      ['files', 'removed'],
      ['mailbox', 'removed'],
      ['identity', 'removed'],
    ],
  )
  assert.ok(empty(members))
})

test('a removal stopped by a fault resumes when run again', async () => {
  const members = world()
  const { doc } = await alice(members)
  members.failNext('mailbox', 'remove', 'DEZKY_UPSTREAM_UNAVAILABLE')
  const first = await members.removeMember(tenant(), doc, caller())
  assert.equal(first.complete, false)
  assert.deepEqual(
    first.steps.map((s) => s.outcome),
    ['removed', 'failed', 'not_reached'],
  )
  assert.equal(first.steps[1].code, 'DEZKY_UPSTREAM_UNAVAILABLE')
  const second = await members.removeMember(tenant(), doc, caller())
  assert.equal(second.complete, true)
  assert.ok(empty(members))
})

test('invitePartnerStaff: a recovery link once, the partner staff group; others refused', async () => {
  const members = world()
  const partner = { _id: PARTNER, slug: 'nordic-it', status: 'active' }
  const staff = { _id: ADMIN_ID, authentikSubjectId: 'sub-staff', partnerId: PARTNER }
  const invited = await members.invitePartnerStaff(
    partner,
    { email: 'bo@nordic.test', name: 'Bo' },
    caller(staff, actor('sub-staff', 'staff@nordic.test')),
  )
  assert.equal(invited.member.partnerId, PARTNER)
  assert.deepEqual(invited.document.partnerId, { $oid: PARTNER })
  assert.deepEqual(members.memoryResources('identity')[0].groups, ['dezky-partner-staff'])
  const link = invited.recoveryLink.reveal()
  assert.equal(typeof link, 'string')
  assert.ok(!JSON.stringify(invited).includes(link))
  assert.ok(!inspect(invited, { depth: 10 }).includes(link))

  await assertCode(
    () => members.invitePartnerStaff(partner, { email: 'x@nordic.test', name: 'X' }, caller()),
    'DEZKY_FORBIDDEN',
  )
  await assertCode(
    () =>
      members.invitePartnerStaff(
        { ...partner, status: 'terminated' },
        { email: 'x@nordic.test', name: 'X' },
        caller(staff, actor('sub-staff')),
      ),
    'DEZKY_FORBIDDEN',
  )
})

test('me: the profile of the actor and their own record; another record refused', () => {
  const profile = me(actor(), ADMIN, [{ _id: TENANT, slug: 'acme', plan: 'business', status: 'active' }], null)
  assert.equal(profile.id, ADMIN_ID)
  assert.equal(profile.subject, 'sub-admin')
  assert.equal(profile.email, 'admin@acme.test')
  assert.equal(profile.platformAdmin, false)
  assert.deepEqual(
    profile.tenants.map((t) => [t.slug, t.role, t.suspended]),
    [['acme', 'admin', false]],
  )
  assert.deepEqual(profile.unknownTenantIds, [])
  assert.deepEqual(me(actor(), ADMIN, []).unknownTenantIds, [TENANT])
  assertCode(() => me(actor('sub-other'), ADMIN, []), 'DEZKY_FORBIDDEN')
  assertCode(() => me(actor(), { ...ADMIN, active: false }, []), 'DEZKY_FORBIDDEN')
  assertCode(() => me(actor(), ADMIN, 'acme'), 'DEZKY_INVALID_ARGUMENT', { field: 'tenants' })
  assertCode(
    () => me(actor(), ADMIN, [], { _id: PARTNER, slug: 'nordic-it' }),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'partner' },
  )
})

test('memory helpers refuse what they do not know; fromEnv without upstreams skips every resource', async () => {
  const members = world()
  assertCode(() => members.memoryResources('calendar'), 'DEZKY_INVALID_ARGUMENT', { field: 'kind' })
  assertCode(() => members.failNext('identity', 'explode', 'DEZKY_TIMEOUT'), 'DEZKY_INVALID_ARGUMENT', { field: 'op' })
  assertCode(() => members.failNext('identity', 'create', 'DEZKY_NOPE'), 'DEZKY_INVALID_ARGUMENT', { field: 'code' })
  assertCode(
    () => members.failNext('identity', 'create', 'DEZKY_TIMEOUT', { later: true }),
    'DEZKY_INVALID_ARGUMENT',
    { field: 'options.later' },
  )
  const saved = { ...process.env }
  for (const name of ['AUTHENTIK_API_URL', 'STALWART_API_URL', 'OCIS_API_URL']) delete process.env[name]
  try {
    const real = Members.fromEnv()
    assertCode(() => real.memoryResources('identity'), 'DEZKY_INVALID_ARGUMENT', { field: 'members' })
    const created = await real.createMember(tenant(), { email: 'a@acme.test', name: 'A' }, caller())
    assert.deepEqual(created.member.resources, [])
    process.env.AUTHENTIK_API_URL = 'not a url'
    assertCode(() => Members.fromEnv(), 'DEZKY_CONFIG')
  } finally {
    process.env = saved
  }
})
