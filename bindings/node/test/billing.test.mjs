// Billing maths from Node: monthlyAmount, mrr and marginBasisPoints over
// dezky_core::billing, with documents as the driver returns them. Amounts are
// numbers in minor units; a figure past 2^53 - 1 is refused, never rounded.
import assert from 'node:assert/strict'
import test from 'node:test'

import { TENANT, assertCode, billingAuditEvent, marginBasisPoints, monthlyAmount, mrr } from '../__test__/helpers.mjs'

const invalid = (fn, field) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { field })
const argument = (fn, name) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { argument: name })

const T1 = TENANT
const T2 = '6650f1c2a9b4e3d2c1b0a999'
const P1 = '6650f1c2a9b4e3d2c1b0a111'
const objectId = (hex) => ({ toHexString: () => hex })

const tenants = [
  { _id: objectId(T1), slug: 'acme', name: 'ACME', status: 'active', partnerId: objectId(P1) },
  { _id: T2, slug: 'beta', name: 'Beta', status: 'active', seats: 4 },
]
const partners = [{ _id: { $oid: P1 }, slug: 'nordic-it', name: 'Nordic IT', status: 'active', marginPct: 12.5 }]
const catalogue = [
  { _id: 'price-pro', plan: 'pro', cycle: 'monthly', currency: 'eur', perSeatAmount: 1000 },
  { _id: 'price-old', plan: 'pro', cycle: 'monthly', currency: 'eur', perSeatAmount: 900, active: false },
]
const sub = (id, extra) => ({ _id: id, tenantId: T1, plan: 'pro', status: 'active', ...extra })

test('monthlyAmount: a yearly amount divided by 12, rounded half up once', async () => {
  assert.equal(monthlyAmount('yearly', 10, 7), 6)
  assert.equal(monthlyAmount('monthly', 1250, 3), 3750)
  assert.equal(monthlyAmount('yearly', 6, 1), 1)
  assert.equal(monthlyAmount('yearly', 5, 1), 0)
  assert.equal(monthlyAmount('monthly', 0, 1_000_000), 0)
  await argument(() => monthlyAmount('weekly', 10, 1), 'cycle')
  await argument(() => monthlyAmount('monthly', '10', 1), 'perSeatAmount')
  await invalid(() => monthlyAmount('monthly', 1e12 + 1, 1), 'perSeatAmount')
  await invalid(() => monthlyAmount('monthly', 10.5, 1), 'perSeatAmount')
  await invalid(() => monthlyAmount('monthly', 10, -1), 'seats')
  await invalid(() => monthlyAmount('monthly', 10, 1_000_001), 'seats')
})

test('amounts are numbers, exact up to 2^53 - 1; past that they are refused', async () => {
  // 9,007,199,254 x 10^6 = 9,007,199,254,000,000 <= 2^53 - 1: exact.
  assert.equal(monthlyAmount('monthly', 9_007_199_254, 1_000_000), 9_007_199_254_000_000)
  assert.ok(Number.isSafeInteger(monthlyAmount('monthly', 9_007_199_254, 1_000_000)))
  // The records' bounds allow 10^12 x 10^6 = 10^18, which a number cannot hold exactly.
  const error = await invalid(() => monthlyAmount('monthly', 1e12, 1e6), 'seats')
  assert.match(error.message, /2\^53/)
  await invalid(() => monthlyAmount('monthly', 9_007_199_255, 1_000_000), 'seats')
  // A yearly amount of 10^18 is 83,333,333,333,333,333 a month: still refused.
  await invalid(() => monthlyAmount('yearly', 1e12, 1e6), 'seats')
})

test('mrr by tenant, plan and partner, with the margin rounded once', () => {
  const subscriptions = [
    sub('s1', { tenantId: objectId(T1), cycle: 'yearly', currency: 'EUR', perSeatAmount: 10, seats: 7 }),
    // No snapshot: the catalogue's one active price, the tenant's seats.
    sub({ $oid: 'aaaaaaaaaaaaaaaaaaaaaaaa' }, { tenantId: T2, status: 'past_due' }),
    sub('s3', { tenantId: T2, status: 'trialing', cycle: 'monthly', currency: 'eur', perSeatAmount: 99, seats: 1 }),
    sub('s4', { tenantId: T2, plan: 'gold' }),
  ]
  const report = mrr(subscriptions, catalogue, tenants, partners)
  assert.deepEqual(report.total, { eur: 4006 })
  assert.deepEqual(report.byTenant, { [T1]: { eur: 6 }, [T2]: { eur: 4000 } })
  assert.deepEqual(report.byPlan, { pro: { eur: 4006 } })
  assert.deepEqual(report.subscriptions, [
    { subscriptionId: 's1', tenantId: T1, plan: 'pro', currency: 'eur', amount: 6, fromCatalogue: false },
    { subscriptionId: 'aaaaaaaaaaaaaaaaaaaaaaaa', tenantId: T2, plan: 'pro', currency: 'eur', amount: 4000, fromCatalogue: true },
  ])
  assert.deepEqual(report.byPartner, [
    { partnerId: P1, partnerSlug: 'nordic-it', currency: 'eur', mrr: 6, marginBasisPoints: 1250, margin: 1, net: 5 },
  ])
  assert.equal(report.unpriced.length, 1)
  assert.equal(report.unpriced[0].subscriptionId, 's4')
  assert.match(report.unpriced[0].reason, /no active catalogue price/)
  assert.deepEqual(mrr([], [], [], []), { subscriptions: [], total: {}, byTenant: {}, byPlan: {}, byPartner: [], unpriced: [] })
})

test('mrr refuses a figure past 2^53 - 1 rather than rounding it', async () => {
  // 10^12 a seat x 10^4 seats = 10^16 minor units a month.
  const big = sub('s1', { cycle: 'monthly', currency: 'eur', perSeatAmount: 1e12, seats: 1e4 })
  await invalid(() => mrr([big], [], tenants, partners), 'subscriptions')
  // Just under: 9 x 10^15.
  const under = sub('s1', { cycle: 'monthly', currency: 'eur', perSeatAmount: 9e11, seats: 1e4 })
  const report = mrr([under], [], tenants, partners)
  assert.equal(report.total.eur, 9e15)
  assert.equal(report.byPartner[0].mrr, 9e15)
  assert.equal(report.byPartner[0].margin, 1.125e15)
  // Past u32 (where napi's serde alone would give a BigInt): still a number.
  const past32 = sub('s1', { cycle: 'monthly', currency: 'eur', perSeatAmount: 5e9, seats: 1 })
  assert.equal(typeof mrr([past32], [], [], []).total.eur, 'number')
  assert.equal(mrr([past32], [], [], []).subscriptions[0].amount, 5e9)
})

test('mrr names the broken document and field', async () => {
  await invalid(() => mrr([sub('s1', { status: 'gone' })], [], [], []), 'subscriptions[0].status')
  await invalid(() => mrr([sub('s1'), sub('s2', { perSeatAmount: 1.5 })], [], [], []), 'subscriptions[1].perSeatAmount')
  await invalid(() => mrr([sub('s1', { seats: 1e7 })], [], [], []), 'subscriptions[0].seats')
  await invalid(() => mrr([sub('s1', { currency: 'euro' })], [], [], []), 'subscriptions[0].currency')
  await invalid(() => mrr([{ tenantId: T1, plan: 'pro', status: 'active' }], [], [], []), 'subscriptions[0]._id')
  await invalid(() => mrr([], { plan: 'pro' }, [], []), 'catalogue')
  await invalid(() => mrr([], [5], [], []), 'catalogue[0]')
  await invalid(() => mrr([], [{ ...catalogue[0], cycle: 'weekly' }], [], []), 'catalogue[0].cycle')
  await invalid(() => mrr([], [], [{ _id: T1, slug: 'acme', status: 'gone' }], []), 'tenants[0].status')
  const partner = { ...partners[0], marginPct: 12.345 }
  await invalid(() => mrr([sub('s1', { cycle: 'monthly', currency: 'eur', perSeatAmount: 1, seats: 1 })], [], tenants, [partner]), 'partner.marginPct')
  await invalid(() => mrr('subscriptions', [], [], []), 'subscriptions')
})

test('marginBasisPoints reads the margin exactly', async () => {
  assert.equal(marginBasisPoints(partners[0]), 1250)
  assert.equal(marginBasisPoints({ ...partners[0], marginPct: 0.01 }), 1)
  assert.equal(marginBasisPoints({ ...partners[0], marginPct: 100 }), 10000)
  assert.equal(marginBasisPoints({ ...partners[0], marginPct: undefined }), 0)
  await invalid(() => marginBasisPoints({ ...partners[0], marginPct: 12.345 }), 'partner.marginPct')
  await invalid(() => marginBasisPoints({ ...partners[0], marginPct: 101 }), 'partner.marginPct')
  await invalid(() => marginBasisPoints('nordic-it'), 'partner')
})

test('billingAuditEvent: the event of each billing operation, with field names but no billing values', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5)
  const facts = { tenantId: T1, targetId: 'sub_1', requestId: 'req-4', seats: 7, seatsBefore: 5 }
  assert.deepEqual(billingAuditEvent('seats_change', 'success', facts, 'admin@acme.test', at), {
    action: 'billing.seats_change',
    outcome: 'success',
    actorEmail: 'admin@acme.test',
    at: '2026-01-02T03:04:05.000Z',
    targetType: 'subscription',
    targetId: 'sub_1',
    tenantId: T1,
    metadata: { requestId: 'req-4', seats: 7, seatsBefore: 5 },
  })
  const details = billingAuditEvent(
    'details_update', 'failure', { tenantId: T1, targetId: 'cus_1', fields: ['email', 'address'] }, 'a@b.example', new Date(at),
  )
  assert.equal(details.targetType, 'customer')
  assert.deepEqual(details.metadata, { fields: ['email', 'address'] })
  const cancelled = billingAuditEvent('cancel_at_period_end', 'success', { tenantId: T1, targetId: 'sub_1' }, 'a@b.example')
  assert.equal(cancelled.action, 'billing.cancel_at_period_end')
  assert.equal(cancelled.metadata, undefined)
})

test('billingAuditEvent: bad facts are refused naming them', () => {
  const event = (action, facts, outcome = 'success') =>
    () => billingAuditEvent(action, outcome, { tenantId: T1, targetId: 'sub_1', ...facts }, 'a@b.example')
  invalid(event('seats_change', {}), 'billing.seats')
  invalid(event('seats_change', { seats: 1_000_001 }), 'billing.seats')
  invalid(event('seats_change', { seats: -1 }), 'facts')
  invalid(event('seats_change', { seats: '7' }), 'facts')
  invalid(event('cancel_at_period_end', { seatsBefore: 3 }), 'billing.seatsBefore')
  invalid(event('details_update', {}), 'billing.fields')
  invalid(event('details_update', { fields: ['vat'] }), 'billing.fields[0]')
  invalid(event('seats_change', { seats: 2, seatz: 3 }), 'facts')
  invalid(event('cancel_at_period_end', { targetId: ' ' }), 'billing.targetId')
  invalid(event('refund', {}), 'action')
  invalid(event('cancel_at_period_end', {}, 'maybe'), 'outcome')
})
