// Verification of one valid RS256 access token: the binding's
// TokenVerifier.verifyToken vs `jose` (jwtVerify with a local JWK set) in the
// same script, on the same token and key, keys cached on both sides (jose:
// createLocalJWKSet once; the binding: after its first verification, which
// reads discovery and JWKS from a local server on 127.0.0.1).
//
//   node bench/verify.mjs [--quick]
//
// Both sides check the same things: signature (RS256, key by kid), issuer,
// audience, exp/nbf/iat with 30 s tolerance, and read sub/email/name/groups.
import assert from 'node:assert/strict'

import { createLocalJWKSet, jwtVerify } from 'jose'

import { TokenVerifier } from '../lib/index.mjs'
import { RSA_A, claims, sign, startProvider } from '../__test__/auth_support.mjs'

const quick = process.argv.includes('--quick')
const DURATION_MS = quick ? 200 : 1500
const ROUNDS = quick ? 1 : 5

const provider = await startProvider([RSA_A])
const issuer = provider.issuer('dezky-portal')
const token = sign(RSA_A, claims(issuer, { exp: Math.floor(Date.now() / 1000) + 3600 }))

const verifier = new TokenVerifier({ issuers: issuer, audiences: 'dezky-portal' })
const jwks = createLocalJWKSet({ keys: [RSA_A.jwk] })

async function viaBinding() {
  const actor = await verifier.verifyToken(token)
  return actor.subject
}

async function viaJose() {
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    audience: 'dezky-portal',
    algorithms: ['RS256'],
    clockTolerance: 30,
    requiredClaims: ['exp', 'sub'],
  })
  const actor = {
    subject: payload.sub,
    email: payload.email,
    name: payload.name ?? payload.preferred_username,
    groups: payload.groups ?? [],
  }
  return actor.subject
}

// Same answer on both sides; this also fills the binding's key cache.
assert.equal(await viaBinding(), 'sub-alice')
assert.equal(await viaJose(), 'sub-alice')
assert.equal(provider.state.requests, 1)

/** Sequential awaited calls for DURATION_MS; returns µs per call. */
async function measure(fn) {
  for (let i = 0; i < 200; i++) await fn()
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(DURATION_MS) * 1_000_000n
  let now = start
  while (now < end) {
    for (let i = 0; i < 50; i++) await fn()
    n += 50
    now = process.hrtime.bigint()
  }
  return Number(now - start) / 1000 / n
}

/** The same with BATCH verifications in flight at once (Promise.all); µs per verification. */
const BATCH = 64
async function measureBatch(fn) {
  const batch = () => Promise.all(Array.from({ length: BATCH }, fn))
  for (let i = 0; i < 5; i++) await batch()
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(DURATION_MS) * 1_000_000n
  let now = start
  while (now < end) {
    await batch()
    n += BATCH
    now = process.hrtime.bigint()
  }
  return Number(now - start) / 1000 / n
}

const results = { binding: [], jose: [], bindingBatch: [], joseBatch: [] }
for (let round = 0; round < ROUNDS; round++) {
  // Alternate the order so that neither side always runs on a warmer machine.
  const sides = [
    ['binding', viaBinding],
    ['jose', viaJose],
  ]
  if (round % 2 === 1) sides.reverse()
  for (const [name, fn] of sides) results[name].push(await measure(fn))
  for (const [name, fn] of sides) results[`${name}Batch`].push(await measureBatch(fn))
}
assert.equal(provider.state.requests, 1, 'the binding read the JWKS again')
await provider.close()

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
console.log(`verify one RS256 token, median of ${ROUNDS} rounds of ${DURATION_MS} ms (µs per verification)`)
for (const [label, suffix] of [['one at a time (await each)', ''], [`${BATCH} in flight (Promise.all)`, 'Batch']]) {
  const binding = median(results[`binding${suffix}`])
  const jose = median(results[`jose${suffix}`])
  console.log(`  ${label}: binding ${binding.toFixed(2)} µs, jose ${jose.toFixed(2)} µs, jose/binding = ${(jose / binding).toFixed(2)}x`)
}
console.log('  (jose/binding above 1: the binding is faster)')
