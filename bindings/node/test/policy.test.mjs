// Security policy from Node: SecurityPolicy (fromValue, fromTenant, its
// checks), updateSecurityPolicy and mfaCompliance over dezky_core::policy.
import assert from 'node:assert/strict'
import test from 'node:test'

import {
  SecurityPolicy,
  TENANT,
  applyTenantPatch,
  assertCode,
  mfaCompliance,
  updateSecurityPolicy,
} from '../__test__/helpers.mjs'

const tenant = (extra = {}) => ({ _id: TENANT, slug: 'acme', name: 'ACME', plan: 'business', status: 'active', __v: 3, ...extra })
const invalid = (fn, field) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { field })
const argument = (fn, name) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { argument: name })

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const T0 = Date.UTC(2026, 11, 3, 9)

test('a policy from its object form is validated and normalised', () => {
  const policy = SecurityPolicy.fromValue({
    mfaMode: 'admins',
    allowedCountries: ['se', 'DK', 'dk'],
    ipAllowlist: ['192.0.2.77/24', '2001:db8::1', '192.0.2.0/24'],
  })
  const value = {
    mfaMode: 'admins',
    sessionIdleMinutes: 60,
    sessionAbsoluteHours: 24,
    allowedCountries: ['DK', 'SE'],
    ipAllowlist: ['192.0.2.0/24', '2001:db8::1/128'],
  }
  assert.deepEqual(policy.value, value)
  assert.deepEqual(policy.toJSON(), value)
  assert.deepEqual(JSON.parse(JSON.stringify({ policy })), { policy: value })
  assert.equal(policy.mfaMode, 'admins')
  assert.ok(policy instanceof SecurityPolicy)
})

test('a tenant without a policy has the defaults; a stored one is read', () => {
  assert.deepEqual(SecurityPolicy.fromTenant(tenant()).value, {
    mfaMode: 'optional',
    sessionIdleMinutes: 60,
    sessionAbsoluteHours: 24,
    allowedCountries: [],
    ipAllowlist: [],
  })
  const stored = SecurityPolicy.fromTenant(
    tenant({ _id: { toHexString: () => TENANT }, securityPolicy: { mfaMode: 'required', sessionIdleMinutes: 15 } }),
  )
  assert.equal(stored.mfaMode, 'required')
  assert.equal(stored.value.sessionIdleMinutes, 15)
})

test('refused policies name the field', async () => {
  await invalid(() => SecurityPolicy.fromValue({ mfaMode: 'sometimes' }), 'securityPolicy.mfaMode')
  await invalid(() => SecurityPolicy.fromValue({ mfa: 'off' }), 'securityPolicy.mfa')
  await invalid(() => SecurityPolicy.fromValue({ sessionIdleMinutes: 1.5 }), 'securityPolicy.sessionIdleMinutes')
  await invalid(() => SecurityPolicy.fromValue({ sessionIdleMinutes: 4 }), 'securityPolicy.sessionIdleMinutes')
  await invalid(
    () => SecurityPolicy.fromValue({ sessionIdleMinutes: 600, sessionAbsoluteHours: 2 }),
    'securityPolicy.sessionAbsoluteHours',
  )
  await invalid(() => SecurityPolicy.fromValue({ allowedCountries: ['EU'] }), 'securityPolicy.allowedCountries[0]')
  await invalid(() => SecurityPolicy.fromValue({ ipAllowlist: ['10.0.0.0/8', 42] }), 'securityPolicy.ipAllowlist[1]')
  await invalid(() => SecurityPolicy.fromValue({ ipAllowlist: ['300.1.1.1'] }), 'securityPolicy.ipAllowlist[0]')
  await invalid(() => SecurityPolicy.fromValue([]), 'securityPolicy')
  await invalid(() => SecurityPolicy.fromValue('required'), 'securityPolicy')
  await invalid(() => SecurityPolicy.fromTenant(tenant({ securityPolicy: { ipAllowlist: 'x' } })), 'tenant.securityPolicy.ipAllowlist')
  await invalid(() => SecurityPolicy.fromTenant({ _id: TENANT, status: 'active' }), 'tenant.slug')
})

test('ipAllowed: networks, IPv4 written as IPv6, bad text', async () => {
  const policy = SecurityPolicy.fromValue({ ipAllowlist: ['192.0.2.0/24', '2001:db8::/32'] })
  assert.equal(policy.ipAllowed('192.0.2.200'), true)
  assert.equal(policy.ipAllowed(' 192.0.2.1 '), true)
  assert.equal(policy.ipAllowed('198.51.100.1'), false)
  assert.equal(policy.ipAllowed('::ffff:192.0.2.9'), true)
  assert.equal(policy.ipAllowed('2001:db8:1::5'), true)
  assert.equal(policy.ipAllowed('2001:db9::5'), false)
  assert.equal(SecurityPolicy.fromValue({}).ipAllowed('203.0.113.5'), true)
  await invalid(() => policy.ipAllowed('nope'), 'ip')
  await argument(() => policy.ipAllowed(42), 'ip')
})

test('countryAllowed: any case, unknown origin fails closed only when restricted', async () => {
  const policy = SecurityPolicy.fromValue({ allowedCountries: ['DK', 'SE'] })
  assert.equal(policy.countryAllowed('dk'), true)
  assert.equal(policy.countryAllowed('FR'), false)
  assert.equal(policy.countryAllowed(null), false)
  assert.equal(policy.countryAllowed(undefined), false)
  assert.equal(SecurityPolicy.fromValue({}).countryAllowed(null), true)
  await invalid(() => policy.countryAllowed('EU'), 'country')
  await argument(() => policy.countryAllowed(45), 'country')
})

test('session limits take milliseconds or Dates', async () => {
  const policy = SecurityPolicy.fromValue({ sessionIdleMinutes: 30, sessionAbsoluteHours: 2 })
  assert.equal(policy.sessionEnds(T0, T0), T0 + 30 * MINUTE)
  assert.equal(policy.sessionEnds(new Date(T0), new Date(T0 + 100 * MINUTE)), T0 + 2 * HOUR)
  assert.equal(policy.sessionExpired(T0, T0, T0 + 29 * MINUTE), null)
  assert.equal(policy.sessionExpired(T0, T0, T0 + 30 * MINUTE), 'idle')
  assert.equal(policy.sessionExpired(T0, T0 + 100 * MINUTE, new Date(T0 + 2 * HOUR)), 'absolute')
  // Without `now`: the present, long after this session ended.
  assert.equal(policy.sessionExpired(T0 - 365 * 24 * HOUR, T0 - 365 * 24 * HOUR), 'absolute')
  assert.equal(policy.sessionExpired(Date.now(), Date.now()), null)
  await invalid(() => policy.sessionExpired(T0, T0 - 1, T0), 'lastActive')
  await argument(() => policy.sessionEnds(-1, T0), 'started')
  await argument(() => policy.sessionEnds(T0, Number.NaN), 'lastActive')
  await argument(() => policy.sessionEnds(new Date(Number.NaN), T0), 'started')
  await argument(() => policy.sessionEnds(T0, 1e300), 'lastActive')
  await argument(() => policy.sessionExpired(T0, T0, Infinity), 'now')
  await argument(() => policy.sessionEnds('2026-12-03', T0), 'started')
})

test('updateSecurityPolicy: policy, changed fields, guarded patch and audit event', () => {
  const at = Date.UTC(2026, 11, 3, 14)
  const update = updateSecurityPolicy(tenant(), { mfaMode: 'required', allowedCountries: ['de'] }, 'ops@dezky.eu', at)
  assert.deepEqual(update.changed, ['mfaMode', 'allowedCountries'])
  assert.equal(update.policy.mfaMode, 'required')
  assert.deepEqual(update.policy.allowedCountries, ['DE'])
  assert.equal(update.patch.expectedVersion, 3)
  assert.deepEqual(update.patch.update.$set.securityPolicy, update.policy)
  assert.equal(update.event.action, 'tenant.security_policy.update')
  assert.equal(update.event.actorEmail, 'ops@dezky.eu')
  assert.equal(update.event.at, '2026-12-03T14:00:00.000Z')
  assert.equal(update.event.tenantId, TENANT)
  assert.equal(update.event.targetId, 'acme')
  assert.deepEqual(update.event.metadata.before, { mfaMode: 'optional', allowedCountries: [] })
  assert.deepEqual(update.event.metadata.after, { mfaMode: 'required', allowedCountries: ['DE'] })

  const stored = applyTenantPatch(tenant(), update.patch)
  assert.deepEqual(stored.securityPolicy, update.policy)
  assert.equal(stored.__v, 4)
  assert.deepEqual(SecurityPolicy.fromTenant(stored).value, update.policy)

  // A change that changes nothing writes nothing and is still audited; a Date is a time too.
  const again = updateSecurityPolicy(stored, { mfaMode: 'required' }, 'ops@dezky.eu', new Date(at + 1000))
  assert.deepEqual(again.changed, [])
  assert.equal(again.patch.update, null)
  assert.deepEqual(again.event.metadata.changed, [])
  assert.equal(again.event.at, '2026-12-03T14:00:01.000Z')
})

test('updateSecurityPolicy refusals name the field or argument', async () => {
  await invalid(() => updateSecurityPolicy(tenant(), { mfaMode: 'x' }, 'a@b.c'), 'securityPolicy.mfaMode')
  await invalid(() => updateSecurityPolicy(tenant(), ['mfaMode'], 'a@b.c'), 'securityPolicy')
  await invalid(() => updateSecurityPolicy(tenant({ slug: undefined }), {}, 'a@b.c'), 'tenant.slug')
  await argument(() => updateSecurityPolicy(tenant(), {}, ' '), 'actor')
  await argument(() => updateSecurityPolicy(tenant(), {}, 'a@b.c', -5), 'at')
  await argument(() => updateSecurityPolicy(tenant(), {}, 42), 'actor')
})

test('mfaCompliance by mode, and a policy by its own mode', async () => {
  const members = [
    { member: 'admin@acme.example', admin: true, factors: 0 },
    { member: 'bo@acme.example', factors: 2 },
    { member: 'cy@acme.example', admin: false, factors: 0 },
  ]
  assert.deepEqual(mfaCompliance('admins', members), {
    mfaMode: 'admins',
    members: 3,
    enrolled: 1,
    required: 1,
    missing: ['admin@acme.example'],
    compliant: false,
  })
  assert.deepEqual(mfaCompliance('required', members).missing, ['admin@acme.example', 'cy@acme.example'])
  assert.equal(mfaCompliance('optional', members).compliant, true)
  assert.equal(SecurityPolicy.fromValue({ mfaMode: 'required' }).mfaCompliance(members).required, 3)
  assert.deepEqual(mfaCompliance('off', []), { mfaMode: 'off', members: 0, enrolled: 0, required: 0, missing: [], compliant: true })
  await argument(() => mfaCompliance('sometimes', members), 'mode')
  await invalid(() => mfaCompliance('off', [{ member: 'a', factors: -1 }]), 'members[0]')
  await invalid(() => mfaCompliance('off', [members[0], { member: 'b', factors: 1.5 }]), 'members[1]')
  await invalid(() => mfaCompliance('off', [{ factors: 1 }]), 'members[0]')
  await invalid(() => mfaCompliance('off', { member: 'a' }), 'members')
})
