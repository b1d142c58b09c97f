// flagContext: the evaluation context built by the core from the control plane's
// tenant and partner records, read from plain objects (and driver ObjectIds).
import assert from 'node:assert/strict'
import test from 'node:test'

import { CONTEXT, FLAGS, FlagSet, TENANT, assertCode, flagContext } from './helpers.mjs'

const PARTNER = '6650f1c2a9b4e3d2c1b0aaaa'
const ARG = 'DEZKY_INVALID_ARGUMENT'

const acme = { _id: TENANT, slug: 'acme', plan: 'business' }
const nordic = { _id: PARTNER, slug: 'nordic-it' }

/** What the MongoDB driver's ObjectId offers for the conversion. */
class ObjectId {
  constructor(hex) {
    this.hex = hex
  }
  toHexString() {
    return this.hex
  }
}

test('flagContext builds the context of a tenant without partner', () => {
  const context = flagContext(acme, null, 'prod')
  assert.deepEqual(context, { tenantId: TENANT, tenantSlug: 'acme', plan: 'business', environment: 'prod' })
  assert.equal('partnerSlug' in context, false)
  assert.deepEqual(flagContext(acme, undefined, 'prod'), context)
  // The context evaluates like the hand-written one.
  const set = FlagSet.fromFlags(FLAGS)
  assert.deepEqual(set.evaluateAll(context), set.evaluateAll(CONTEXT))
})

test('flagContext takes the partner slug from the tenant\'s own partner', () => {
  const context = flagContext({ ...acme, partnerId: PARTNER }, nordic, 'staging')
  assert.deepEqual(context, {
    tenantId: TENANT,
    tenantSlug: 'acme',
    plan: 'business',
    partnerSlug: 'nordic-it',
    environment: 'staging',
  })
  assert.equal(FlagSet.fromFlags(FLAGS).evaluate('partner_portal', context).value, true)
})

test('flagContext reads `id` or `_id`, driver ObjectIds, and ignores other fields', () => {
  const expected = flagContext({ ...acme, partnerId: PARTNER }, nordic, 'prod')
  const records = [
    [{ id: TENANT, slug: 'acme', plan: 'business', partnerId: PARTNER }, { id: PARTNER, slug: 'nordic-it' }],
    [{ ...acme, id: TENANT, partnerId: PARTNER }, { ...nordic, id: PARTNER }],
    [{ ...acme, _id: new ObjectId(TENANT), partnerId: new ObjectId(PARTNER) }, { ...nordic, _id: new ObjectId(PARTNER) }],
    [
      { ...acme, partnerId: PARTNER, name: 'Acme Corp', createdAt: new Date(), seats: 40, __v: 0, tags: ['a'] },
      { ...nordic, name: 'Nordic IT', createdAt: new Date() },
    ],
  ]
  for (const [tenant, partner] of records) {
    assert.deepEqual(flagContext(tenant, partner, 'prod'), expected)
  }
  assert.deepEqual(flagContext({ ...acme, partnerId: null }, null, 'prod'), flagContext(acme, null, 'prod'))
})

/** [description, call, details] — every one is DEZKY_INVALID_ARGUMENT. */
const cases = [
  ['no tenant', () => flagContext(), { argument: 'tenant', field: 'tenant' }],
  ['tenant null', () => flagContext(null, null, 'prod'), { argument: 'tenant', field: 'tenant' }],
  ['tenant string', () => flagContext(TENANT, null, 'prod'), { argument: 'tenant', field: 'tenant' }],
  ['tenant array', () => flagContext([acme], null, 'prod'), { argument: 'tenant', field: 'tenant' }],
  ['tenant without id', () => flagContext({ slug: 'acme', plan: 'business' }, null, 'prod'), { argument: 'tenant', field: 'tenant.id' }],
  ['tenant id number', () => flagContext({ ...acme, _id: 42 }, null, 'prod'), { argument: 'tenant', field: 'tenant.id' }],
  ['tenant id not an ObjectId', () => flagContext({ ...acme, _id: 'tenant-1' }, null, 'prod'), { argument: 'tenant', field: 'tenant.id' }],
  ['tenant id object without toHexString', () => flagContext({ ...acme, _id: { id: TENANT } }, null, 'prod'), { field: 'tenant.id' }],
  ['tenant toHexString not a string', () => flagContext({ ...acme, _id: { toHexString: () => 5 } }, null, 'prod'), { field: 'tenant._id' }],
  ['tenant _id and id disagree', () => flagContext({ ...acme, id: PARTNER }, null, 'prod'), { field: 'tenant.id' }],
  ['tenant without slug', () => flagContext({ _id: TENANT, plan: 'business' }, null, 'prod'), { field: 'tenant.slug' }],
  ['tenant slug number', () => flagContext({ ...acme, slug: 7 }, null, 'prod'), { field: 'tenant.slug' }],
  ['tenant slug blank', () => flagContext({ ...acme, slug: '  ' }, null, 'prod'), { field: 'tenant.slug' }],
  ['tenant without plan', () => flagContext({ _id: TENANT, slug: 'acme' }, null, 'prod'), { field: 'tenant.plan' }],
  ['tenant plan array', () => flagContext({ ...acme, plan: ['business'] }, null, 'prod'), { field: 'tenant.plan' }],
  ['tenant partnerId number', () => flagContext({ ...acme, partnerId: 1 }, nordic, 'prod'), { field: 'tenant.partnerId' }],
  ['partner string', () => flagContext({ ...acme, partnerId: PARTNER }, 'nordic-it', 'prod'), { argument: 'partner', field: 'partner' }],
  ['partner without slug', () => flagContext({ ...acme, partnerId: PARTNER }, { _id: PARTNER }, 'prod'), { field: 'partner.slug' }],
  ['partner without id', () => flagContext({ ...acme, partnerId: PARTNER }, { slug: 'nordic-it' }, 'prod'), { field: 'partner.id' }],
  ['partner of another tenant', () => flagContext({ ...acme, partnerId: '6650f1c2a9b4e3d2c1b0bbbb' }, nordic, 'prod'), { argument: 'partner', field: 'partner' }],
  ['partner for a tenant without one', () => flagContext(acme, nordic, 'prod'), { field: 'partner' }],
  ['missing partner of a tenant with one', () => flagContext({ ...acme, partnerId: PARTNER }, null, 'prod'), { field: 'partner' }],
  ['no environment', () => flagContext(acme, null), { argument: 'environment', field: 'environment' }],
  ['environment number', () => flagContext(acme, null, 1), { field: 'environment' }],
  ['environment blank', () => flagContext(acme, null, ''), { field: 'environment' }],
]

for (const [name, call, details] of cases) {
  test(`flagContext bad input: ${name} -> ${ARG}`, async () => {
    const error = await assertCode(call, ARG, details)
    assert.ok(error.message.includes(error.field), `the message names the field: ${error.message}`)
  })
}

test('flagContext lets an exception thrown by a record\'s toHexString() propagate as is', () => {
  const boom = new Error('boom')
  const tenant = { ...acme, _id: { toHexString: () => { throw boom } } }
  assert.throws(() => flagContext(tenant, null, 'prod'), (e) => e === boom)
  // The binding is still usable afterwards.
  assert.equal(flagContext(acme, null, 'prod').tenantId, TENANT)
})
