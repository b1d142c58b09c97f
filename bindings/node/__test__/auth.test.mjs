// Token verification through the binding against a local OpenID provider
// (discovery + JWKS on 127.0.0.1), the bad-token corpus with its codes, and the
// configuration and argument errors.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'

import { DezkyError, ErrorCode, TokenVerifier, assertCode, verifyToken } from './helpers.mjs'
import { EC_256, RSA_A, RSA_B, claims, now, sign, startProvider } from './auth_support.mjs'

let provider
let portal
let operator
let verifier

before(async () => {
  provider = await startProvider()
  portal = provider.issuer('dezky-portal')
  operator = provider.issuer('dezky-operator')
  verifier = new TokenVerifier({ issuers: [portal, operator], audiences: ['dezky-portal', 'dezky-operator'] })
})

after(() => provider.close())

test('a valid token resolves to its actor', async () => {
  const token = sign(RSA_A, claims(portal))
  const promise = verifier.verifyToken(token)
  assert.ok(promise instanceof Promise)
  const actor = await promise
  assert.equal(actor.subject, 'sub-alice')
  assert.equal(actor.email, 'alice@example.com')
  assert.equal(actor.name, 'Alice')
  assert.deepEqual(actor.groups, ['dezky-users'])
  assert.equal(actor.surface, 'portal')
  assert.equal(actor.issuer, portal)
  assert.equal(actor.audience, 'dezky-portal')
  assert.equal(typeof actor.expiresAt, 'number')
})

test('the operator client gives the operator surface; EC keys verify', async () => {
  const token = sign(EC_256, claims(operator, { aud: 'dezky-operator', name: undefined, preferred_username: 'bob' }))
  const actor = await verifier.verifyToken(token)
  assert.equal(actor.surface, 'operator')
  assert.equal(actor.name, 'bob')
})

test('optional claims are absent from the actor when the token has none', async () => {
  const { email, name, groups, ...rest } = claims(portal)
  const actor = await verifier.verifyToken(sign(RSA_A, rest))
  assert.equal(actor.email ?? null, null)
  assert.equal(actor.name ?? null, null)
  assert.deepEqual(actor.groups, [])
})

test('keys are cached: many verifications, one discovery and one JWKS read per issuer', async () => {
  const fresh = await startProvider()
  try {
    const issuer = fresh.issuer('dezky-portal')
    const v = new TokenVerifier({ issuers: issuer, audiences: 'dezky-portal' })
    const token = sign(RSA_A, claims(issuer))
    const actors = await Promise.all(Array.from({ length: 20 }, () => v.verifyToken(token)))
    assert.equal(actors.length, 20)
    for (let i = 0; i < 50; i++) await v.verifyToken(token)
    assert.equal(fresh.state.discoveries, 1)
    assert.equal(fresh.state.requests, 1)
  } finally {
    await fresh.close()
  }
})

test('signatures are checked off the event loop: no verification settles before the loop turns', async () => {
  for (const key of [RSA_A, EC_256]) {
    const token = sign(key, claims(portal))
    await verifier.verifyToken(token) // keys cached
    let settled = 0
    const all = Promise.all(
      Array.from({ length: 16 }, () =>
        verifier.verifyToken(token).then((actor) => {
          settled++
          return actor
        }),
      ),
    )
    // Every microtask runs here; a verification done on this thread would have
    // settled its promise already.
    for (let i = 0; i < 10; i++) await Promise.resolve()
    assert.equal(settled, 0, `${key.alg}: a verification settled without leaving the JavaScript thread`)
    const actors = await all
    assert.equal(settled, 16)
    assert.ok(actors.every((a) => a.subject === 'sub-alice'))
  }
})

test('verification runs off the event loop: no call settles before the loop turns', async () => {
  const token = sign(RSA_A, claims(portal))
  await verifier.verifyToken(token)
  // Work done on the JS thread during the call would leave an already-settled
  // promise, which wins a race against a resolved marker. Work on another
  // thread can only settle after the loop has turned, and no turn happens
  // before these races are decided (they run in this task's microtasks).
  const pending = Symbol('pending')
  const calls = Array.from({ length: 64 }, () => verifier.verifyToken(token))
  const early = await Promise.all(calls.map((call) => Promise.race([call, Promise.resolve(pending)])))
  assert.equal(early.filter((r) => r !== pending).length, 0, 'a verification settled within the calling task')
  // Each of them still completes with the actor.
  for (const actor of await Promise.all(calls)) assert.equal(actor.subject, 'sub-alice')
})

test('a failed verification off the event loop still rejects with its code', async () => {
  const token = sign(RSA_A, claims(portal, { exp: now() - 3600 }))
  await assertCode(() => verifier.verifyToken(token), ErrorCode.TOKEN_EXPIRED)
  const forged = `${sign(RSA_A, claims(portal)).slice(0, -8)}AAAAAAAA`
  await assertCode(() => verifier.verifyToken(forged), ErrorCode.TOKEN_BAD_SIGNATURE)
})

test('a rotated key is picked up without a restart', async () => {
  const fresh = await startProvider([RSA_A])
  try {
    const issuer = fresh.issuer('dezky-portal')
    const v = new TokenVerifier({ issuers: issuer, audiences: 'dezky-portal', minRefreshIntervalSeconds: 0 })
    await v.verifyToken(sign(RSA_A, claims(issuer)))
    await assertCode(() => v.verifyToken(sign(RSA_B, claims(issuer))), ErrorCode.TOKEN_UNKNOWN_KEY, { issuer })
    fresh.setKeys([RSA_A, RSA_B])
    const actor = await v.verifyToken(sign(RSA_B, claims(issuer)))
    assert.equal(actor.subject, 'sub-alice')
  } finally {
    await fresh.close()
  }
})

// The bad-token corpus: each rejects with its code, and no message contains the token.
const BAD = [
  ['alg none', () => {
    const t = sign(RSA_A, claims(portal))
    const [, payload] = t.split('.')
    return `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`
  }, 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['alg NoNe, signed', () => sign(RSA_A, claims(portal), { alg: 'NoNe' }), 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['HS256', () => {
    const t = sign(RSA_A, claims(portal), { alg: 'HS256' })
    return t
  }, 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['RS256 header on an EC key', () => sign(RSA_A, claims(portal), { kid: 'ec-256' }), 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['expired', () => sign(RSA_A, claims(portal, { exp: now() - 120 })), 'DEZKY_TOKEN_EXPIRED'],
  ['not yet valid', () => sign(RSA_A, claims(portal, { nbf: now() + 600 })), 'DEZKY_TOKEN_NOT_YET_VALID'],
  ['wrong audience', () => sign(RSA_A, claims(portal, { aud: 'someone-else' })), 'DEZKY_TOKEN_WRONG_AUDIENCE'],
  ['audience of the other issuer', () => sign(RSA_A, claims(portal, { aud: 'dezky-operator' })), 'DEZKY_TOKEN_WRONG_AUDIENCE'],
  ['no audience', () => sign(RSA_A, claims(portal, { aud: undefined })), 'DEZKY_TOKEN_WRONG_AUDIENCE'],
  ['unknown issuer', () => sign(RSA_A, claims('https://evil.example/application/o/dezky-portal/')), 'DEZKY_TOKEN_UNKNOWN_ISSUER'],
  ['issuer without its trailing slash', () => sign(RSA_A, claims(portal.slice(0, -1))), 'DEZKY_TOKEN_UNKNOWN_ISSUER'],
  ['tampered payload', () => {
    const [h, , s] = sign(RSA_A, claims(portal)).split('.')
    return `${h}.${Buffer.from(JSON.stringify(claims(portal, { sub: 'sub-mallory' }))).toString('base64url')}.${s}`
  }, 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['tampered signature', () => {
    const t = sign(RSA_A, claims(portal))
    const last = t.at(-2) === 'A' ? 'B' : 'A'
    return `${t.slice(0, -2)}${last}${t.at(-1)}`
  }, 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['signed by a key the issuer does not publish', () => sign({ ...RSA_B, kid: 'rsa-a' }, claims(portal)), 'DEZKY_TOKEN_BAD_SIGNATURE'],
  ['unknown kid', () => sign({ ...RSA_A, kid: 'nope' }, claims(portal)), 'DEZKY_TOKEN_UNKNOWN_KEY'],
  ['no kid', () => sign(RSA_A, claims(portal), { kid: undefined }), 'DEZKY_TOKEN_UNKNOWN_KEY'],
  ['empty string', () => '', 'DEZKY_TOKEN_MALFORMED'],
  ['two parts', () => 'abc.def', 'DEZKY_TOKEN_MALFORMED'],
  ['five parts (JWE)', () => 'a.b.c.d.e', 'DEZKY_TOKEN_MALFORMED'],
  ['Bearer prefix', () => `Bearer ${sign(RSA_A, claims(portal))}`, 'DEZKY_TOKEN_MALFORMED'],
  ['header not JSON', () => `${Buffer.from('nope').toString('base64url')}.e30.c2ln`, 'DEZKY_TOKEN_MALFORMED'],
  ['no exp', () => sign(RSA_A, claims(portal, { exp: undefined })), 'DEZKY_TOKEN_MALFORMED'],
  ['no sub', () => sign(RSA_A, claims(portal, { sub: undefined })), 'DEZKY_TOKEN_MALFORMED'],
  ['groups not a list', () => sign(RSA_A, claims(portal, { groups: 'admins' })), 'DEZKY_TOKEN_MALFORMED'],
  ['too long', () => 'a'.repeat(20000), 'DEZKY_TOKEN_MALFORMED'],
]

for (const [name, make, code] of BAD) {
  test(`bad token: ${name} → ${code}`, async () => {
    const token = make()
    const error = await assertCode(() => verifier.verifyToken(token), code)
    assert.ok(error instanceof DezkyError)
    if (token.length > 20) {
      for (const part of token.split('.').filter((p) => p.length > 16)) {
        assert.equal(error.message.includes(part), false, `message leaks the token: ${error.message}`)
      }
    }
    if (code === 'DEZKY_TOKEN_EXPIRED') assert.equal(typeof error.expiredAt, 'number')
  })
}

test('bad tokens reject: verifyToken never throws synchronously', () => {
  for (const bad of ['', 'x', 42, null, undefined]) {
    const result = verifier.verifyToken(bad)
    assert.ok(result instanceof Promise)
    result.catch(() => {})
  }
})

test('an unreachable issuer is DEZKY_AUTH_KEYS_UNAVAILABLE (503, not 401)', async () => {
  const gone = await startProvider()
  const issuer = gone.issuer('dezky-portal')
  await gone.close()
  const v = new TokenVerifier({ issuers: issuer, audiences: 'dezky-portal' })
  await assertCode(() => v.verifyToken(sign(RSA_A, claims(issuer))), ErrorCode.AUTH_KEYS_UNAVAILABLE, { issuer })
})

test('a provider without signing keys is DEZKY_AUTH_CONFIG', async () => {
  const empty = await startProvider([])
  try {
    const issuer = empty.issuer('dezky-portal')
    const v = new TokenVerifier({ issuers: issuer, audiences: 'dezky-portal' })
    await assertCode(() => v.verifyToken(sign(RSA_A, claims(issuer))), ErrorCode.AUTH_CONFIG)
  } finally {
    await empty.close()
  }
})

test('token: wrong types reject with DEZKY_INVALID_ARGUMENT', async () => {
  for (const bad of [undefined, null, 42, {}, ['a.b.c'], Buffer.from('a.b.c')]) {
    await assertCode(() => verifier.verifyToken(bad), ErrorCode.INVALID_ARGUMENT, { argument: 'token' })
  }
})

test('configuration: pairing rules and explicit clients', () => {
  const one = new TokenVerifier({ issuers: 'https://auth.example/', audiences: 'dezky-portal, dezky-operator' })
  assert.deepEqual(one.clients(), [
    { issuer: 'https://auth.example/', audience: 'dezky-portal', surface: 'portal' },
    { issuer: 'https://auth.example/', audience: 'dezky-operator', surface: 'operator' },
  ])
  const explicit = new TokenVerifier({
    clients: [{ issuer: 'https://auth.example/app/', audience: 'my-client', surface: 'operator' }],
    leewaySeconds: 10,
    keyTtlSeconds: 60,
  })
  assert.equal(explicit.clients()[0].audience, 'my-client')
})

test('configuration errors are DEZKY_AUTH_CONFIG', () => {
  for (const options of [
    { issuers: ['https://a.example/', 'https://b.example/'], audiences: ['dezky-portal', 'dezky-operator', 'x'] },
    { issuers: 'https://a.example/', audiences: 'some-client' },
    { issuers: 'auth.example', audiences: 'dezky-portal' },
    { issuers: '', audiences: 'dezky-portal' },
    { issuers: 'https://a.example/', audiences: [] },
    { clients: [] },
    { issuers: 'https://a.example/', audiences: 'dezky-portal', leewaySeconds: 3600 },
  ]) {
    assert.throws(() => new TokenVerifier(options), (e) => e.code === 'DEZKY_AUTH_CONFIG', JSON.stringify(options))
  }
})

test('options of the wrong type are DEZKY_INVALID_ARGUMENT', () => {
  for (const [options, field] of [
    [undefined, 'options'],
    [null, 'options'],
    ['https://a.example/', 'options'],
    [[], 'options'],
    [{ audiences: 'dezky-portal' }, 'options.issuers'],
    [{ issuers: 'https://a.example/' }, 'options.audiences'],
    [{ issuers: 42, audiences: 'dezky-portal' }, 'options.issuers'],
    [{ issuers: ['https://a.example/', 7], audiences: 'dezky-portal' }, 'options.issuers[1]'],
    [{ issuers: 'https://a.example/', audiences: 'dezky-portal', leewaySeconds: 'soon' }, 'options.leewaySeconds'],
    [{ issuers: 'https://a.example/', audiences: 'dezky-portal', leewaySeconds: -1 }, 'options.leewaySeconds'],
    [{ issuers: 'https://a.example/', audiences: 'dezky-portal', issuer: 'typo' }, 'options.issuer'],
    [{ clients: 'x' }, 'options.clients'],
    [{ clients: [{ issuer: 'https://a.example/', audience: 'c', surface: 'admin' }] }, 'options.clients[0].surface'],
    [{ clients: [{ issuer: 'https://a.example/', audience: 'c', surface: 'portal' }], issuers: 'https://a.example/', audiences: 'c' }, 'options.clients'],
  ]) {
    assert.throws(
      () => new TokenVerifier(options),
      (e) => e.code === 'DEZKY_INVALID_ARGUMENT' && e.field === field && e.argument === 'options',
      JSON.stringify(options),
    )
  }
})

test('TokenVerifier.fromEnv and verifyToken read AUTHENTIK_ISSUER/AUTHENTIK_AUDIENCE', async () => {
  const saved = { issuer: process.env.AUTHENTIK_ISSUER, audience: process.env.AUTHENTIK_AUDIENCE }
  try {
    delete process.env.AUTHENTIK_ISSUER
    delete process.env.AUTHENTIK_AUDIENCE
    assert.throws(() => TokenVerifier.fromEnv(), (e) => e.code === 'DEZKY_AUTH_CONFIG' && /AUTHENTIK_ISSUER/.test(e.message))
    await assertCode(() => verifyToken(sign(RSA_A, claims(portal))), ErrorCode.AUTH_CONFIG)
    process.env.AUTHENTIK_ISSUER = `${portal}, ${operator}`
    process.env.AUTHENTIK_AUDIENCE = 'dezky-portal,dezky-operator'
    const v = TokenVerifier.fromEnv()
    assert.equal(v.clients().length, 2)
    assert.equal((await v.verifyToken(sign(RSA_A, claims(portal)))).subject, 'sub-alice')
    const actor = await verifyToken(sign(RSA_A, claims(operator, { aud: 'dezky-operator' })))
    assert.equal(actor.surface, 'operator')
    await assertCode(() => verifyToken(sign(RSA_A, claims(portal, { exp: now() - 100 }))), ErrorCode.TOKEN_EXPIRED)
    await assertCode(() => verifyToken(7), ErrorCode.INVALID_ARGUMENT)
  } finally {
    for (const [name, value] of [['AUTHENTIK_ISSUER', saved.issuer], ['AUTHENTIK_AUDIENCE', saved.audience]]) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
})
