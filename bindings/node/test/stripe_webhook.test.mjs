// verifyStripeWebhook and orderStripeEvent. Signatures are computed here with
// node:crypto's HMAC-SHA256 over `${t}.${body}` (Stripe's scheme), independently
// of the SDK's own code.
import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import test from 'node:test'

import { assertCode, orderStripeEvent, verifyStripeWebhook } from '../__test__/helpers.mjs'

const SECRET = 'whsec_node_binding_test_secret'
const NOW = 1_790_000_000 // Unix seconds
const at = { now: NOW * 1000 }

const sign = (body, t, secret = SECRET) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')
const header = (t, ...signatures) => [`t=${t}`, ...signatures.map((s) => `v1=${s}`)].join(',')
const signed = (body, t = NOW - 5) => header(t, sign(body, t))

const subscription = (extra = {}) => ({
  id: 'sub_1',
  object: 'subscription',
  customer: 'cus_1',
  status: 'active',
  cancel_at_period_end: false,
  currency: 'eur',
  created: 1_780_000_000,
  metadata: { tenant_id: 't-1' },
  livemode: false,
  items: {
    object: 'list',
    has_more: false,
    data: [
      {
        id: 'si_1',
        object: 'subscription_item',
        quantity: 5,
        current_period_start: 1_789_000_000,
        current_period_end: 1_791_600_000,
        price: {
          id: 'price_1',
          object: 'price',
          currency: 'eur',
          unit_amount: 1200,
          type: 'recurring',
          recurring: { interval: 'year', interval_count: 1, usage_type: 'licensed' },
        },
      },
    ],
  },
  ...extra,
})

const envelope = (type, object, extra = {}) =>
  JSON.stringify({
    id: 'evt_1',
    object: 'event',
    type,
    created: NOW - 10,
    livemode: false,
    api_version: '2026-06-24.dahlia',
    data: { object, ...extra },
  })

const refused = (fn, reason) =>
  assertCode(fn, 'DEZKY_WEBHOOK_SIGNATURE').then((error) => {
    assert.match(error.reason, reason)
    assert.ok(!error.message.includes(SECRET))
    return error
  })

test('a subscription event verifies from a Buffer and carries its snapshot', () => {
  const body = envelope('customer.subscription.updated', subscription(), { previous_attributes: { status: 'past_due' } })
  const event = verifyStripeWebhook(Buffer.from(body), signed(body), SECRET, at)
  assert.equal(event.id, 'evt_1')
  assert.equal(event.type, 'customer.subscription.updated')
  assert.equal(event.created, NOW - 10)
  assert.equal(event.livemode, false)
  assert.equal(event.apiVersion, '2026-06-24.dahlia')
  assert.equal(event.objectType, 'subscription')
  assert.deepEqual(event.previousAttributes, { status: 'past_due' })
  assert.equal(event.object.id, 'sub_1')
  assert.equal(event.object.customerId, 'cus_1')
  assert.equal(event.object.currentPeriodEnd, 1_791_600_000)
  assert.deepEqual(event.object.snapshot, {
    status: 'active',
    stripeCustomerId: 'cus_1',
    stripeSubscriptionId: 'sub_1',
    cycle: 'yearly',
    currency: 'eur',
    perSeatAmount: 1200,
    seats: 5,
  })
  assert.equal(event.object.snapshotError, undefined)
})

test('the body as text, a Uint8Array, several v1 during a secret roll, a Date as now', () => {
  const body = envelope('customer.subscription.created', subscription())
  const t = NOW - 1
  assert.equal(verifyStripeWebhook(body, signed(body, t), SECRET, at).objectType, 'subscription')
  assert.equal(verifyStripeWebhook(new TextEncoder().encode(body), signed(body, t), SECRET, at).id, 'evt_1')
  const roll = header(t, sign(body, t, 'whsec_old'), sign(body, t))
  assert.equal(verifyStripeWebhook(body, `${roll},v0=abc`, SECRET, { now: new Date(NOW * 1000) }).id, 'evt_1')
  // Without options: checked against the present.
  const fresh = Math.floor(Date.now() / 1000)
  assert.equal(verifyStripeWebhook(body, signed(body, fresh), SECRET).id, 'evt_1')
})

test('invoice, customer and other event types', () => {
  const invoice = {
    id: 'in_1',
    object: 'invoice',
    status: 'paid',
    currency: 'eur',
    amount_due: 6000,
    amount_paid: 6000,
    amount_remaining: 0,
    total: 6000,
    customer: 'cus_1',
    created: 1_789_000_000,
  }
  const paid = envelope('invoice.paid', invoice)
  const event = verifyStripeWebhook(paid, signed(paid), SECRET, at)
  assert.equal(event.objectType, 'invoice')
  assert.equal(event.object.amountPaid, 6000)
  assert.equal(event.object.totalMajor, '60.00')
  const customer = envelope('customer.updated', { id: 'cus_1', object: 'customer', email: 'b@acme.example', metadata: {} })
  assert.equal(verifyStripeWebhook(customer, signed(customer), SECRET, at).object.email, 'b@acme.example')
  const charge = { id: 'ch_1', object: 'charge', amount: 100, nested: { ok: true } }
  const other = envelope('charge.succeeded', charge)
  const otherEvent = verifyStripeWebhook(other, signed(other), SECRET, at)
  assert.equal(otherEvent.objectType, 'other')
  assert.deepEqual(otherEvent.object, charge)
  assert.equal(otherEvent.previousAttributes, undefined)
})

test('a subscription the control plane cannot hold has no snapshot, and says why', () => {
  const weekly = subscription()
  weekly.items.data[0].price.recurring = { interval: 'week', interval_count: 1 }
  const body = envelope('customer.subscription.updated', weekly)
  const event = verifyStripeWebhook(body, signed(body), SECRET, at)
  assert.equal(event.object.snapshot, undefined)
  assert.match(event.object.snapshotError, /subscription\.items\[0\]\.price\.recurring\.interval/)
  assert.equal(event.object.items[0].interval, 'week')
})

test('refusals: wrong secret, changed body, re-serialised body, timestamps', async () => {
  const body = envelope('customer.subscription.updated', subscription())
  const t = NOW - 5
  await refused(() => verifyStripeWebhook(body, header(t, sign(body, t, 'whsec_other')), SECRET, at), /no v1 signature matches/)
  await refused(() => verifyStripeWebhook(body.replace('"active"', '"canceled"'), signed(body, t), SECRET, at), /no v1 signature matches/)
  const reserialised = JSON.stringify(JSON.parse(body), null, 2)
  await refused(() => verifyStripeWebhook(reserialised, signed(body, t), SECRET, at), /no v1 signature matches/)
  await refused(() => verifyStripeWebhook(`${body}\n`, signed(body, t), SECRET, at), /no v1 signature matches/)
  // 301 s old, and 400 s in the future, with the default tolerance of 300 s.
  const old = NOW - 301
  await refused(() => verifyStripeWebhook(body, signed(body, old), SECRET, at), /301 s old/)
  await refused(() => verifyStripeWebhook(body, signed(body, NOW + 400), SECRET, at), /in the future/)
  assert.equal(verifyStripeWebhook(body, signed(body, NOW - 300), SECRET, at).id, 'evt_1')
  assert.equal(verifyStripeWebhook(body, signed(body, old), SECRET, { ...at, tolerance: 600 }).id, 'evt_1')
  await refused(() => verifyStripeWebhook(body, signed(body, NOW - 2), SECRET, { ...at, tolerance: 1 }), /2 s old/)
})

test('refusals: malformed headers', async () => {
  const body = envelope('customer.subscription.updated', subscription())
  const v1 = sign(body, NOW)
  await refused(() => verifyStripeWebhook(body, `v1=${v1}`, SECRET, at), /no t= timestamp/)
  await refused(() => verifyStripeWebhook(body, `t=${NOW}`, SECRET, at), /no v1= signature/)
  await refused(() => verifyStripeWebhook(body, `t=${NOW},v0=${v1}`, SECRET, at), /no v1= signature/)
  await refused(() => verifyStripeWebhook(body, 'garbage', SECRET, at), /malformed/)
  await refused(() => verifyStripeWebhook(body, `t=${NOW},t=${NOW},v1=${v1}`, SECRET, at), /malformed/)
  await refused(() => verifyStripeWebhook(body, `t=soon,v1=${v1}`, SECRET, at), /malformed/)
  await refused(() => verifyStripeWebhook(body, '', SECRET, at), /no t= timestamp/)
})

test('a verified body that is no event is DEZKY_UPSTREAM_DECODE; bad arguments are named', async () => {
  const notEvent = JSON.stringify({ hello: 'world' })
  await assertCode(() => verifyStripeWebhook(notEvent, signed(notEvent), SECRET, at), 'DEZKY_UPSTREAM_DECODE')
  const badObject = envelope('customer.subscription.updated', { id: 'sub_1' })
  await assertCode(() => verifyStripeWebhook(badObject, signed(badObject), SECRET, at), 'DEZKY_UPSTREAM_DECODE')
  const nonUtf8 = Buffer.from([0xff, 0xfe, 0x7b])
  const t = NOW - 1
  const nonUtf8Header = header(t, createHmac('sha256', SECRET).update(Buffer.concat([Buffer.from(`${t}.`), nonUtf8])).digest('hex'))
  await assertCode(() => verifyStripeWebhook(nonUtf8, nonUtf8Header, SECRET, at), 'DEZKY_UPSTREAM_DECODE')

  const body = envelope('customer.subscription.updated', subscription())
  await assertCode(() => verifyStripeWebhook(body, signed(body), '', at), 'DEZKY_INVALID_ARGUMENT', { field: 'secret' })
  await assertCode(() => verifyStripeWebhook(42, signed(body), SECRET, at), 'DEZKY_INVALID_ARGUMENT', { argument: 'rawBody' })
  await assertCode(() => verifyStripeWebhook(body, null, SECRET, at), 'DEZKY_INVALID_ARGUMENT', { argument: 'signatureHeader' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, { tolerance: -1 }), 'DEZKY_INVALID_ARGUMENT', { argument: 'options', field: 'options.tolerance' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, { tolerance: '300' }), 'DEZKY_INVALID_ARGUMENT', { argument: 'options', field: 'options.tolerance' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, { now: 'now' }), 'DEZKY_INVALID_ARGUMENT', { argument: 'options', field: 'options.now' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, { now: -1 }), 'DEZKY_INVALID_ARGUMENT', { argument: 'options', field: 'options.now' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, 300), 'DEZKY_INVALID_ARGUMENT', { field: 'options' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, [300]), 'DEZKY_INVALID_ARGUMENT', { field: 'options' })
  await assertCode(() => verifyStripeWebhook(body, signed(body), SECRET, { leeway: 5 }), 'DEZKY_INVALID_ARGUMENT', { argument: 'options', field: 'options.leeway' })
})

test('orderStripeEvent: apply newer, ignore stale, refetch ties', async () => {
  assert.equal(orderStripeEvent(null, NOW), 'apply')
  assert.equal(orderStripeEvent(undefined, NOW), 'apply')
  assert.equal(orderStripeEvent(NOW, NOW + 1), 'apply')
  assert.equal(orderStripeEvent(NOW, NOW - 1), 'stale')
  assert.equal(orderStripeEvent(NOW, NOW), 'refetch')
  await assertCode(() => orderStripeEvent(1.5, NOW), 'DEZKY_INVALID_ARGUMENT', { argument: 'storedCreated' })
  await assertCode(() => orderStripeEvent(null, 'now'), 'DEZKY_INVALID_ARGUMENT', { argument: 'incomingCreated' })
})
