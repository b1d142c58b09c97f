// StripeClient's billing operations against a local Stripe stand-in (node:http
// on 127.0.0.1, as in stripe.test.mjs): billing details, EU VAT ids,
// subscriptions and their control-plane snapshot; the form fields, idempotency
// keys and local refusals (nothing sent).
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { after, before, beforeEach, test } from 'node:test'

import { StripeClient, assertCode } from '../__test__/helpers.mjs'

const KEY = 'sk_test_node_billing_key'

const customer = (id, extra = {}) => ({
  id,
  object: 'customer',
  email: 'billing@acme.example',
  name: 'ACME GmbH',
  metadata: { tenant_id: 't-1' },
  invoice_settings: { default_payment_method: null },
  created: 1700000000,
  livemode: false,
  ...extra,
})
const taxId = (id, extra = {}) => ({
  id,
  object: 'tax_id',
  type: 'eu_vat',
  value: 'DE123456789',
  country: 'DE',
  customer: 'cus_1',
  verification: { status: 'pending', verified_name: null, verified_address: null },
  created: 1700000000,
  livemode: false,
  ...extra,
})
const subscription = ({ quantity = 5, interval = 'month', cancel = false } = {}) => ({
  id: 'sub_1',
  object: 'subscription',
  customer: 'cus_1',
  status: 'active',
  cancel_at_period_end: cancel,
  cancel_at: cancel ? 1791600000 : null,
  currency: 'eur',
  created: 1789000000,
  start_date: 1789000000,
  metadata: { tenant_id: 't-1' },
  livemode: false,
  items: {
    object: 'list',
    has_more: false,
    url: '/v1/subscription_items?subscription=sub_1',
    data: [
      {
        id: 'si_1',
        object: 'subscription_item',
        quantity,
        current_period_start: 1789000000,
        current_period_end: 1791600000,
        price: {
          id: 'price_1',
          object: 'price',
          active: true,
          currency: 'eur',
          unit_amount: 1000,
          billing_scheme: 'per_unit',
          type: 'recurring',
          recurring: { interval, interval_count: 1, usage_type: 'licensed' },
          product: 'prod_1',
        },
      },
    ],
  },
})

let server
let base
let seen = []
let routes = {}

before(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk) => (body += chunk))
    req.on('end', () => {
      const url = new URL(req.url, 'http://x')
      seen.push({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, form: new URLSearchParams(body) })
      const route = routes[`${req.method} ${url.pathname}`]
      const [status, payload] = route
        ? route(url, body)
        : [404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'no route' } }]
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_node' })
      res.end(JSON.stringify(payload))
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  base = `http://127.0.0.1:${server.address().port}`
})
after(() => server.close())
beforeEach(() => {
  seen = []
  routes = {}
})

const client = () => new StripeClient({ secretKey: KEY, baseUrl: base, timeoutMs: 2000, maxRetries: 0 })
const invalid = async (fn, field) => {
  await assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { field })
  assert.equal(seen.length, 0, 'a refused request was sent')
}

test('updateBillingDetails sends the fields given, the country upper-case, under its key', async () => {
  routes['POST /v1/customers/cus_1'] = () => [200, customer('cus_1')]
  const updated = await client().updateBillingDetails(
    'cus_1',
    { name: 'ACME GmbH', email: 'billing@acme.example', address: { line1: 'Hauptstr. 1', postalCode: '10115', city: 'Berlin', country: 'de' } },
    'req-1',
  )
  assert.equal(updated.id, 'cus_1')
  assert.equal(updated.name, 'ACME GmbH')
  const [request] = seen
  assert.equal(request.headers['idempotency-key'], 'customer:cus_1:billing-details:req-1')
  assert.equal(request.form.get('name'), 'ACME GmbH')
  assert.equal(request.form.get('email'), 'billing@acme.example')
  assert.equal(request.form.get('address[line1]'), 'Hauptstr. 1')
  assert.equal(request.form.get('address[postal_code]'), '10115')
  assert.equal(request.form.get('address[country]'), 'DE')
  assert.equal(request.form.has('address[line2]'), false)
  assert.equal(request.form.has('address[state]'), false)
})

test('updateBillingDetails refusals name the field; nothing is sent', async () => {
  const stripe = client()
  await invalid(() => stripe.updateBillingDetails('cus_1', {}, 'req-1'), 'details')
  await invalid(() => stripe.updateBillingDetails('cus_1', { email: 'no-at-sign' }, 'req-1'), 'email')
  await invalid(() => stripe.updateBillingDetails('cus_1', { name: 'a\nb' }, 'req-1'), 'name')
  await invalid(() => stripe.updateBillingDetails('cus_1', { address: { country: 'Germany' } }, 'req-1'), 'address.country')
  await invalid(() => stripe.updateBillingDetails('cus_1', { address: { line1: ' ' } }, 'req-1'), 'address.line1')
  await invalid(() => stripe.updateBillingDetails('cus_1', { name: 'ACME' }, ' '), 'request_id')
  await invalid(() => stripe.updateBillingDetails('acme', { name: 'ACME' }, 'req-1'), 'customer_id')
  await assertCode(() => stripe.updateBillingDetails('cus_1', 'ACME', 'req-1'), 'DEZKY_INVALID_ARGUMENT', { argument: 'details' })
  await assertCode(() => stripe.updateBillingDetails('cus_1', { name: 5 }, 'req-1'), 'DEZKY_INVALID_ARGUMENT', { field: 'details.name' })
  assert.equal(seen.length, 0)
})

test('EU VAT ids: added normalised, listed across pages, deleted (gone is fine)', async () => {
  routes['POST /v1/customers/cus_1/tax_ids'] = () => [200, taxId('txi_1')]
  const stripe = client()
  const added = await stripe.addEuVatId('cus_1', 'de 123.456-789', 'req-2')
  assert.deepEqual(added, {
    id: 'txi_1',
    type: 'eu_vat',
    value: 'DE123456789',
    country: 'DE',
    customer: 'cus_1',
    verification: { status: 'pending' },
    created: 1700000000,
    livemode: false,
  })
  assert.equal(seen[0].form.get('type'), 'eu_vat')
  assert.equal(seen[0].form.get('value'), 'DE123456789')
  assert.equal(seen[0].headers['idempotency-key'], 'customer:cus_1:tax-id:req-2')

  routes['GET /v1/customers/cus_1/tax_ids'] = (url) =>
    url.searchParams.get('starting_after') === 'txi_2'
      ? [200, { object: 'list', has_more: false, data: [taxId('txi_3', { verification: { status: 'verified', verified_name: 'ACME GmbH' } })] }]
      : [200, { object: 'list', has_more: true, data: [taxId('txi_1'), taxId('txi_2')] }]
  const all = await stripe.taxIds('cus_1')
  assert.deepEqual(all.map((t) => t.id), ['txi_1', 'txi_2', 'txi_3'])
  assert.deepEqual(all[2].verification, { status: 'verified', verifiedName: 'ACME GmbH' })

  routes['DELETE /v1/customers/cus_1/tax_ids/txi_1'] = () => [200, { id: 'txi_1', object: 'tax_id', deleted: true }]
  assert.equal(await stripe.deleteTaxId('cus_1', 'txi_1'), undefined)
  assert.equal(await stripe.deleteTaxId('cus_1', 'txi_9'), undefined)
  assert.equal(seen.at(-1).method, 'DELETE')
  assert.equal(seen.at(-1).path, '/v1/customers/cus_1/tax_ids/txi_9')
})

test('EU VAT refusals name the field; nothing is sent', async () => {
  const stripe = client()
  const greek = await assertCode(() => stripe.addEuVatId('cus_1', 'GR123456789', 'req-2'), 'DEZKY_INVALID_ARGUMENT', { field: 'tax_id.value' })
  assert.match(greek.message, /EL/)
  await invalid(() => stripe.addEuVatId('cus_1', 'DE', 'req-2'), 'tax_id.value')
  await invalid(() => stripe.deleteTaxId('cus_1', 'tax_1'), 'tax_id')
  await assertCode(() => stripe.taxIds(7), 'DEZKY_INVALID_ARGUMENT', { argument: 'customerId' })
})

test('createSubscription: one item of seats, the tenant metadata, the snapshot', async () => {
  routes['POST /v1/subscriptions'] = () => [200, subscription()]
  const created = await client().createSubscription({ customerId: 'cus_1', priceId: 'price_1', seats: 5, tenantId: 't-1' }, 'req-3')
  const [request] = seen
  assert.equal(request.headers['idempotency-key'], 'customer:cus_1:create-subscription:req-3')
  assert.equal(request.form.get('customer'), 'cus_1')
  assert.equal(request.form.get('items[0][price]'), 'price_1')
  assert.equal(request.form.get('items[0][quantity]'), '5')
  assert.equal(request.form.get('metadata[tenant_id]'), 't-1')
  assert.equal(created.id, 'sub_1')
  assert.equal(created.customerId, 'cus_1')
  assert.equal(created.status, 'active')
  assert.equal(created.cancelAtPeriodEnd, false)
  assert.equal(created.currentPeriodEnd, 1791600000)
  assert.deepEqual(created.metadata, { tenant_id: 't-1' })
  assert.deepEqual(created.items, [
    {
      id: 'si_1',
      priceId: 'price_1',
      quantity: 5,
      unitAmount: 1000,
      currency: 'eur',
      interval: 'month',
      intervalCount: 1,
      currentPeriodStart: 1789000000,
      currentPeriodEnd: 1791600000,
    },
  ])
  assert.deepEqual(created.snapshot, {
    status: 'active',
    stripeCustomerId: 'cus_1',
    stripeSubscriptionId: 'sub_1',
    cycle: 'monthly',
    currency: 'eur',
    perSeatAmount: 1000,
    seats: 5,
  })
  assert.equal(created.snapshotError, undefined)
})

test('subscription refusals: seats, ids, request ids; nothing is sent', async () => {
  const stripe = client()
  const sub = { customerId: 'cus_1', priceId: 'price_1', seats: 5 }
  await invalid(() => stripe.createSubscription({ ...sub, seats: 1.5 }, 'req-3'), 'subscription.seats')
  await invalid(() => stripe.createSubscription({ ...sub, seats: -1 }, 'req-3'), 'subscription.seats')
  await invalid(() => stripe.createSubscription({ ...sub, seats: 1_000_001 }, 'req-3'), 'seats')
  await invalid(() => stripe.createSubscription({ ...sub, priceId: 'plan_1' }, 'req-3'), 'price_id')
  await invalid(() => stripe.createSubscription(sub, ''), 'request_id')
  await assertCode(() => stripe.createSubscription({ ...sub, seats: '5' }, 'req-3'), 'DEZKY_INVALID_ARGUMENT', { field: 'subscription.seats' })
  await invalid(() => stripe.changeSeats('sub_1', 'si_1', 2.5, 'req-4'), 'seats')
  await invalid(() => stripe.changeSeats('sub_1', 'item_1', 2, 'req-4'), 'item_id')
  await assertCode(() => stripe.changeSeats('sub_1', 'si_1', 2, 'req-4', 'sometimes'), 'DEZKY_INVALID_ARGUMENT', { argument: 'proration' })
  await invalid(() => stripe.retrieveSubscription('si_1'), 'subscription_id')
  await invalid(() => stripe.cancelAtPeriodEnd('sub_1', ' '), 'request_id')
  assert.equal(seen.length, 0)
})

test('changeSeats with its proration, cancelAtPeriodEnd, retrieveSubscription', async () => {
  routes['POST /v1/subscriptions/sub_1'] = (url, body) => {
    const form = new URLSearchParams(body)
    if (form.get('cancel_at_period_end') === 'true') return [200, subscription({ cancel: true })]
    return [200, subscription({ quantity: Number(form.get('items[0][quantity]')) })]
  }
  const stripe = client()
  const changed = await stripe.changeSeats('sub_1', 'si_1', 7, 'req-4')
  assert.equal(changed.snapshot.seats, 7)
  assert.equal(seen[0].form.get('items[0][id]'), 'si_1')
  assert.equal(seen[0].form.get('items[0][quantity]'), '7')
  assert.equal(seen[0].form.get('proration_behavior'), 'create_prorations')
  assert.equal(seen[0].headers['idempotency-key'], 'subscription:sub_1:change-seats:req-4')
  await stripe.changeSeats('sub_1', 'si_1', 0, 'req-5', 'always_invoice')
  assert.equal(seen[1].form.get('proration_behavior'), 'always_invoice')
  assert.equal(seen[1].form.get('items[0][quantity]'), '0')
  await stripe.changeSeats('sub_1', 'si_1', 3, 'req-6', 'none')
  assert.equal(seen[2].form.get('proration_behavior'), 'none')

  const cancelled = await stripe.cancelAtPeriodEnd('sub_1', 'req-7')
  assert.equal(cancelled.cancelAtPeriodEnd, true)
  assert.equal(cancelled.cancelAt, 1791600000)
  assert.equal(seen[3].form.get('cancel_at_period_end'), 'true')
  assert.equal(seen[3].headers['idempotency-key'], 'subscription:sub_1:cancel-at-period-end:req-7')

  routes['GET /v1/subscriptions/sub_1'] = () => [200, subscription({ interval: 'week' })]
  const weekly = await stripe.retrieveSubscription('sub_1')
  assert.equal(weekly.snapshot, undefined)
  assert.match(weekly.snapshotError, /subscription\.items\[0\]\.price\.recurring\.interval/)
  assert.equal(weekly.items[0].interval, 'week')
})

test('an upstream refusal keeps its code and details', async () => {
  routes['POST /v1/subscriptions'] = () => [400, {
    error: { type: 'invalid_request_error', code: 'resource_missing', param: 'items[0][price]', message: 'No such price: price_9' },
  }]
  await assertCode(
    () => client().createSubscription({ customerId: 'cus_1', priceId: 'price_9', seats: 1 }, 'req-8'),
    'DEZKY_UPSTREAM_REJECTED',
    { service: 'stripe', status: 400, upstreamCode: 'resource_missing', requestId: 'req_node' },
  )
})
