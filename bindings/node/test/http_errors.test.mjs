// toHttpError: the HTTP answer of an SDK error from the core's one table
// (dezky_core::http), for every code the SDK has.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'

import {
  DezkyError,
  ErrorCode,
  httpStatus,
  httpStatuses,
  toHttpError,
} from '../__test__/helpers.mjs'

const native = createRequire(import.meta.url)('../index.js')
const errorCodes = () => native.errorCodes()
const errorExamples = () => native.errorExamples()

test('every error code has a row in the table, listed once', () => {
  const table = new Map(httpStatuses())
  assert.equal(table.size, httpStatuses().length)
  for (const code of errorCodes()) {
    assert.ok(table.has(code), `${code} has no HTTP status`)
    assert.equal(httpStatus(code), table.get(code))
  }
  assert.equal(httpStatus('DEZKY_SOMETHING_NEW'), 500)
})

test('the statuses of docs/portal.md', () => {
  const expected = {
    INVALID_ARGUMENT: 400,
    INVALID_CONTEXT: 400,
    MALFORMED_JSON: 400,
    TOKEN_EXPIRED: 401,
    TOKEN_BAD_SIGNATURE: 401,
    TOKEN_WRONG_AUDIENCE: 401,
    FORBIDDEN: 403,
    TENANT_INACTIVE: 403,
    NOT_FOUND: 404,
    FLAG_NOT_FOUND: 404,
    ALREADY_EXISTS: 409,
    IN_USE: 409,
    VERSION_CONFLICT: 409,
    ILLEGAL_TRANSITION: 409,
    UPSTREAM_REJECTED: 422,
    RATE_LIMITED: 429,
    PAYMENT_FAILED: 402,
    UPSTREAM_UNAVAILABLE: 503,
    AUTH_KEYS_UNAVAILABLE: 503,
    UPSTREAM: 502,
    UPSTREAM_UNAUTHORIZED: 502,
    TRANSPORT: 502,
    TIMEOUT: 504,
    CONFIG: 500,
    AUTH_CONFIG: 500,
  }
  for (const [name, status] of Object.entries(expected)) {
    assert.equal(httpStatus(ErrorCode[name]), status, name)
  }
})

test('every example error becomes {status, body: {code, message, details}}', () => {
  for (const error of errorExamples()) {
    const answer = toHttpError(error)
    assert.equal(answer.status, httpStatus(error.code), error.code)
    assert.equal(answer.body.code, error.code)
    assert.equal(answer.body.message, error.message)
    for (const key of ['name', 'message', 'stack', 'code']) assert.ok(!(key in answer.body.details), key)
    for (const [key, value] of Object.entries(answer.body.details)) assert.deepEqual(value, error[key], key)
    // The body is JSON as it is.
    assert.deepEqual(JSON.parse(JSON.stringify(answer.body)).code, error.code)
  }
})

test('Retry-After from retryAfterMs, rounded up, only on 429 and 503', () => {
  const limited = new DezkyError(ErrorCode.RATE_LIMITED, 'slow down', { service: 'stripe', retryAfterMs: 2001 })
  assert.deepEqual(toHttpError(limited).headers, { 'retry-after': '3' })
  assert.equal(toHttpError(limited).body.details.service, 'stripe')
  const unavailable = new DezkyError(ErrorCode.UPSTREAM_UNAVAILABLE, 'down', { retryAfterMs: 10 })
  assert.deepEqual(toHttpError(unavailable).headers, { 'retry-after': '1' })
  const noWait = new DezkyError(ErrorCode.RATE_LIMITED, 'slow down')
  assert.deepEqual(toHttpError(noWait).headers, {})
  const conflict = new DezkyError(ErrorCode.ALREADY_EXISTS, 'exists', { retryAfterMs: 5000 })
  assert.deepEqual(toHttpError(conflict).headers, {})
})

test('anything else is a 500 that says nothing of it', () => {
  for (const thrown of [new Error('db password is hunter2'), 'boom', null, undefined, { code: 'DEZKY_FORBIDDEN' }]) {
    const answer = toHttpError(thrown)
    assert.equal(answer.status, 500)
    assert.deepEqual(answer.body, { code: 'INTERNAL', message: 'internal error', details: {} })
    assert.deepEqual(answer.headers, {})
  }
})
