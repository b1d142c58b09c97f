// StripeClient against a local Stripe stand-in (node:http on 127.0.0.1):
// form-encoded requests with Stripe-Version and idempotency keys, records in
// camelCase, pagination, Stripe's error object and its error codes.
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import { after, before, beforeEach, test } from 'node:test'

import { StripeClient, formatMinorUnits, parseMajorUnits, assertCode } from '../__test__/helpers.mjs'

const KEY = 'sk_test_node_binding_key'

const customer = (id, extra = {}) => ({
  id,
  object: 'customer',
  email: 'billing@acme.example',
  name: 'ACME',
  metadata: { tenant_id: 't-1' },
  invoice_settings: { default_payment_method: null },
  currency: 'eur',
  balance: 0,
  created: 1700000000,
  livemode: false,
  ...extra,
})
const invoice = (id) => ({
  id,
  object: 'invoice',
  number: null,
  status: 'open',
  currency: 'eur',
  amount_due: 1250,
  amount_paid: 0,
  amount_remaining: 1250,
  total: 1250,
  subtotal: 1250,
  customer: 'cus_1',
  hosted_invoice_url: null,
  invoice_pdf: null,
  created: 1700000000,
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
      const [status, payload, headers] = route ? route(url, body) : [404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'no route' } }]
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_node', ...(headers ?? {}) })
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

const client = () => new StripeClient({ secretKey: KEY, baseUrl: base, timeoutMs: 2000, maxRetries: 1 })

test('createCustomer sends the tenant metadata, key and version', async () => {
  routes['POST /v1/customers'] = () => [200, customer('cus_1')]
  const stripe = client()
  const created = await stripe.createCustomer({ tenantId: 't-1', tenantSlug: 'acme', email: 'billing@acme.example' })
  assert.equal(created.id, 'cus_1')
  assert.deepEqual(created.metadata, { tenant_id: 't-1' })
  assert.equal(created.deleted, false)
  assert.equal(created.currency, 'eur')
  const [request] = seen
  assert.equal(request.headers['authorization'], `Bearer ${KEY}`)
  assert.equal(request.headers['stripe-version'], stripe.apiVersion)
  assert.equal(request.headers['idempotency-key'], 'tenant:t-1:create-customer')
  assert.equal(request.form.get('metadata[tenant_id]'), 't-1')
  assert.equal(request.form.get('metadata[tenant_slug]'), 'acme')
  assert.equal(request.form.get('email'), 'billing@acme.example')
})

test('setup intent: client secret, automatic payment methods', async () => {
  routes['POST /v1/setup_intents'] = () => [200, {
    id: 'seti_1', object: 'setup_intent', client_secret: 'seti_1_secret_abc', status: 'requires_payment_method',
    usage: 'off_session', customer: 'cus_1', payment_method: null, payment_method_types: ['card'],
  }]
  const intent = await client().createSetupIntent('cus_1', 'form-9', 't-1')
  assert.deepEqual(intent, {
    id: 'seti_1', clientSecret: 'seti_1_secret_abc', status: 'requires_payment_method',
    usage: 'off_session', customerId: 'cus_1',
  })
  assert.equal(intent.paymentMethodId, undefined)
  assert.equal(seen[0].form.get('automatic_payment_methods[enabled]'), 'true')
  assert.equal(seen[0].headers['idempotency-key'], 'customer:cus_1:setup-intent:form-9')
})

test('default card through expand, and no card', async () => {
  routes['GET /v1/customers/cus_1'] = (url) => {
    assert.equal(url.searchParams.get('expand[]'), 'invoice_settings.default_payment_method')
    return [200, customer('cus_1', {
      invoice_settings: { default_payment_method: { id: 'pm_1', object: 'payment_method', type: 'card', card: { brand: 'visa', last4: '4242', exp_month: 8, exp_year: 2030 } } },
    })]
  }
  routes['GET /v1/customers/cus_2'] = () => [200, customer('cus_2')]
  const stripe = client()
  assert.deepEqual(await stripe.defaultCard('cus_1'), { paymentMethodId: 'pm_1', brand: 'visa', last4: '4242', expMonth: 8, expYear: 2030 })
  assert.equal(await stripe.defaultCard('cus_2'), null)
})

test('setDefaultPaymentMethod and invoices across pages', async () => {
  routes['POST /v1/customers/cus_1'] = () => [200, customer('cus_1', { invoice_settings: { default_payment_method: 'pm_9' } })]
  routes['GET /v1/invoices'] = (url) => url.searchParams.get('starting_after') === 'in_2'
    ? [200, { object: 'list', has_more: false, data: [invoice('in_1')] }]
    : [200, { object: 'list', has_more: true, data: [invoice('in_3'), invoice('in_2')] }]
  const stripe = client()
  const updated = await stripe.setDefaultPaymentMethod('cus_1', 'pm_9')
  assert.equal(updated.defaultPaymentMethodId, 'pm_9')
  assert.equal(seen[0].form.get('invoice_settings[default_payment_method]'), 'pm_9')
  const invoices = await stripe.listInvoices('cus_1')
  assert.deepEqual(invoices.map((i) => i.id), ['in_3', 'in_2', 'in_1'])
  assert.equal(invoices[0].amountDue, 1250)
  assert.equal(invoices[0].totalMajor, '12.50')
  assert.equal(invoices[0].customerId, 'cus_1')
})

test('a decline rejects with DEZKY_PAYMENT_FAILED and the details', async () => {
  routes['POST /v1/payment_methods/pm_bad/attach'] = () => [402, {
    error: { type: 'card_error', code: 'card_declined', decline_code: 'insufficient_funds', message: 'Your card has insufficient funds.', param: 'payment_method' },
  }]
  const error = await assertCode(() => client().attachPaymentMethod('cus_1', 'pm_bad'), 'DEZKY_PAYMENT_FAILED', {
    status: 402, upstreamCode: 'card_declined', requestId: 'req_node', service: 'stripe',
  })
  assert.equal(error.upstreamMessage, 'Your card has insufficient funds.')
  assert.deepEqual(error.upstreamDetails, { type: 'card_error', decline_code: 'insufficient_funds' })
  assert.match(error.message, /decline_code: insufficient_funds/)
  assert.deepEqual(error.fields, { payment_method: ['Your card has insufficient funds.'] })
  assert.ok(!JSON.stringify(error).includes(KEY) && !error.message.includes(KEY))
  assert.equal(seen.length, 1)
})

test('not found, bad arguments and options', async () => {
  await assertCode(() => client().retrieveCustomer('cus_missing'), 'DEZKY_NOT_FOUND', { status: 404 })
  await assertCode(() => client().retrieveCustomer('cus_../x'), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => client().retrieveCustomer(42), 'DEZKY_INVALID_ARGUMENT', { argument: 'id' })
  await assertCode(() => client().createCustomer({}), 'DEZKY_INVALID_ARGUMENT', { field: 'customer.tenantId' })
  await assertCode(() => new StripeClient({ baseUrl: base }), 'DEZKY_INVALID_ARGUMENT', { field: 'options.secretKey' })
  await assertCode(() => new StripeClient({ secretKey: KEY, baseUrl: 'ftp://x' }), 'DEZKY_CONFIG')
  assert.equal(seen.length, 1)
})

test('ensureCustomer and findCustomerByTenant', async () => {
  routes['POST /v1/customers'] = () => [200, customer('cus_new')]
  routes['GET /v1/customers/search'] = (url) => {
    assert.equal(url.searchParams.get('query'), "metadata['tenant_id']:'t-1'")
    return [200, { object: 'search_result', has_more: false, next_page: null, data: [customer('cus_b', { created: 2 }), customer('cus_a', { created: 1 })] }]
  }
  const stripe = client()
  assert.equal((await stripe.ensureCustomer(null, { tenantId: 't-1' })).id, 'cus_new')
  assert.equal((await stripe.findCustomerByTenant('t-1')).id, 'cus_a')
  assert.equal((await stripe.searchCustomersByMetadata('tenant_id', 't-1')).length, 2)
})

test('money in minor units', () => {
  assert.equal(formatMinorUnits(1000, 'EUR'), '10.00')
  assert.equal(formatMinorUnits(500, 'jpy'), '500')
  assert.equal(formatMinorUnits(1234, 'kwd'), '1.234')
  assert.equal(parseMajorUnits('10.5', 'eur'), 1050)
  assert.equal(parseMajorUnits('500', 'jpy'), 500)
  assert.throws(() => parseMajorUnits('1.005', 'eur'), (e) => e.code === 'DEZKY_INVALID_ARGUMENT')
  assert.throws(() => formatMinorUnits(1.5, 'eur'), (e) => e.code === 'DEZKY_INVALID_ARGUMENT')
  assert.throws(() => formatMinorUnits(100, 'isk'), (e) => e.code === 'DEZKY_INVALID_ARGUMENT')
})

test('fromEnv needs STRIPE_SECRET_KEY', async () => {
  const saved = process.env.STRIPE_SECRET_KEY
  delete process.env.STRIPE_SECRET_KEY
  try {
    await assertCode(() => StripeClient.fromEnv(), 'DEZKY_CONFIG', { field: 'STRIPE_SECRET_KEY' })
  } finally {
    if (saved !== undefined) process.env.STRIPE_SECRET_KEY = saved
  }
})
