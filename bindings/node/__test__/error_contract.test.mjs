// The error contract in JavaScript: every code of the Rust crates is in
// ErrorCode and declared in the types, and one error of every code (made up by
// the crates) arrives as a DezkyError with its details under camelCase names.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import test from 'node:test'

import { DezkyError, ErrorCode } from './helpers.mjs'

const require = createRequire(import.meta.url)
const native = require('../index.js')
const declarations = readFileSync(new URL('../lib/index.d.ts', import.meta.url), 'utf8')

const codes = native.errorCodes()
const examples = native.errorExamples()
const byCode = new Map(examples.map((error) => [error.code, error]))

test('every code of the crates is an ErrorCode and declared in the types', () => {
  assert.ok(codes.length >= 30, `only ${codes.length} codes`)
  assert.equal(new Set(codes).size, codes.length, 'a code listed twice')
  const values = Object.values(ErrorCode)
  for (const code of codes) {
    assert.ok(values.includes(code), `${code} is not in ErrorCode`)
    assert.equal(ErrorCode[code.replace(/^DEZKY_/, '')], code)
    assert.ok(declarations.includes(`: '${code}'`), `${code} is not declared in lib/index.d.ts`)
  }
  assert.equal(values.length, codes.length, 'ErrorCode holds a code the crates do not have')
})

test('every code has its row in docs/errors.md', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8')
  for (const code of codes) {
    assert.ok(doc.includes(`| \`${code}\` |`), `${code} has no row in docs/errors.md`)
  }
})

test('an example of every code arrives as a DezkyError', () => {
  for (const code of codes) {
    const error = byCode.get(code)
    assert.ok(error, `no example of ${code}`)
    assert.ok(error instanceof DezkyError, code)
    assert.ok(error instanceof Error, code)
    assert.equal(error.name, 'DezkyError')
    assert.ok(error.message.length > 0, code)
  }
})

test('every detail property is declared on DezkyError', () => {
  const standard = new Set(['stack', 'message', 'name', 'code'])
  for (const error of examples) {
    for (const name of Object.keys(error)) {
      if (standard.has(name)) continue
      assert.match(name, /^[a-z][A-Za-z]*$/, `${error.code}: ${name} is not camelCase`)
      assert.ok(declarations.includes(`readonly ${name}?:`), `${error.code}: ${name} is not declared`)
    }
  }
})

test('details carry the contract names in camelCase', () => {
  const get = (code) => byCode.get(code)
  assert.equal(get('DEZKY_INVALID_FLAG').flag, 'a')
  assert.equal(get('DEZKY_INVALID_FLAG').field, 'pct')
  assert.equal(get('DEZKY_DUPLICATE_FLAG').flag, 'a')
  assert.equal(get('DEZKY_FLAG_NOT_FOUND').flag, 'a')
  assert.equal(get('DEZKY_MALFORMED_JSON').line, 1)
  assert.equal(get('DEZKY_MALFORMED_JSON').column, 2)
  assert.equal(get('DEZKY_FLAG_SOURCE').source, 'https://cp.example/flags')
  assert.equal(get('DEZKY_FLAG_SOURCE').causeCode, 'DEZKY_UPSTREAM_UNAVAILABLE')
  assert.equal(get('DEZKY_FLAG_SOURCE').status, 502)
  assert.equal(get('DEZKY_CONFIG').field, 'AUTHENTIK_API_URL')
  assert.equal(get('DEZKY_TIMEOUT').timeoutMs, 1500)
  assert.equal(get('DEZKY_TIMEOUT').source, 'https://auth.example/api/v3/core/groups/')
  assert.equal(get('DEZKY_CREDENTIAL_STORE').source, '/var/lib/dezky/ocis.json')
  assert.equal(get('DEZKY_SERVICE_LOGIN_REQUIRED').service, 'ocis')
  assert.equal(get('DEZKY_ZONE_PARSE').line, 3)
  assert.equal(get('DEZKY_TOKEN_EXPIRED').expiredAt, 1_700_000_000)
  assert.equal(get('DEZKY_TOKEN_UNKNOWN_KEY').kid, '"k1"')
  assert.equal(get('DEZKY_AUTH_KEYS_UNAVAILABLE').issuer, '"https://id.example"')
  const upstream = get('DEZKY_PAYMENT_FAILED')
  assert.equal(upstream.service, 'stripe')
  assert.equal(upstream.method, 'POST')
  assert.equal(upstream.status, 400)
  assert.equal(upstream.upstreamCode, 'card_declined')
  assert.equal(upstream.requestId, 'req_123')
  assert.equal(upstream.retryAfterMs, 2000)
  assert.deepEqual(upstream.fields, { amount: ['too small'] })
  assert.deepEqual(upstream.linked, ['g-1'])
  assert.deepEqual(upstream.upstreamDetails, { decline_code: 'insufficient_funds' })
  const webhook = get('DEZKY_WEBHOOK_SIGNATURE')
  assert.equal(webhook.reason, 'no v1 signature matches the body under this secret')
  assert.equal(webhook.service, undefined)
  assert.equal(ErrorCode.WEBHOOK_SIGNATURE, 'DEZKY_WEBHOOK_SIGNATURE')
})

test('an argument error names the argument and the field', () => {
  // dezky-flags: the argument; dezky-core: a record field and the argument it is in.
  const examplesOf = examples.filter((e) => e.code === 'DEZKY_INVALID_ARGUMENT')
  assert.ok(examplesOf.some((e) => e.argument === 'actor' && e.field === undefined))
  assert.ok(examplesOf.some((e) => e.argument === 'tenant' && e.field === 'tenant.slug'))
})
