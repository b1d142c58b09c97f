// Token verification fixtures: the checked-in test keys (tests/fixtures/auth),
// tokens signed with node:crypto, and a local OpenID provider on 127.0.0.1
// serving discovery documents and JWKS.
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'tests', 'fixtures', 'auth')

/** A fixture key: private key object, public JWK (with kid, use, alg). */
export function fixtureKey(file, kid, alg) {
  const privateKey = crypto.createPrivateKey(readFileSync(join(FIXTURES, file)))
  const jwk = { ...crypto.createPublicKey(privateKey).export({ format: 'jwk' }), kid, use: 'sig', alg }
  return { kid, alg, privateKey, jwk }
}

export const RSA_A = fixtureKey('rsa_a.pem', 'rsa-a', 'RS256')
export const RSA_B = fixtureKey('rsa_b.pem', 'rsa-b', 'RS256')
export const EC_256 = fixtureKey('ec_p256.pem', 'ec-256', 'ES256')

const b64 = (value) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

/** Signs `claims` as a JWS with `key` (header overrides in `header`). */
export function sign(key, claims, header = {}) {
  const head = { alg: key.alg, typ: 'JWT', kid: key.kid, ...header }
  const input = `${b64(head)}.${b64(claims)}`
  let signature
  if (key.alg.startsWith('RS')) {
    signature = crypto.sign(`sha${key.alg.slice(2)}`, Buffer.from(input), key.privateKey)
  } else if (key.alg === 'ES256') {
    signature = crypto.sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
  } else {
    throw new Error(`unsupported ${key.alg}`)
  }
  return `${input}.${signature.toString('base64url')}`
}

export const now = () => Math.floor(Date.now() / 1000)

/**
 * A local OpenID provider: `issuer(name)` is `http://127.0.0.1:<port>/application/o/<name>/`,
 * with a discovery document and a JWKS of `keys` (changeable through `setKeys`).
 * `requests` counts the JWKS reads.
 */
export async function startProvider(keys = [RSA_A, EC_256]) {
  let jwks = { keys: keys.map((k) => k.jwk) }
  const state = { requests: 0, discoveries: 0 }
  const server = http.createServer((req, res) => {
    const base = `http://127.0.0.1:${server.address().port}`
    const discovery = req.url.match(/^\/application\/o\/([a-z-]+)\/\.well-known\/openid-configuration$/)
    if (discovery) {
      state.discoveries++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify({
        issuer: `${base}/application/o/${discovery[1]}/`,
        jwks_uri: `${base}/application/o/${discovery[1]}/jwks/`,
        id_token_signing_alg_values_supported: ['RS256'],
      }))
    } else if (/^\/application\/o\/[a-z-]+\/jwks\/$/.test(req.url)) {
      state.requests++
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(jwks))
    } else {
      res.statusCode = 404
      res.end('not found')
    }
  })
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = server.address().port
  return {
    state,
    port,
    issuer: (name) => `http://127.0.0.1:${port}/application/o/${name}/`,
    setKeys: (list) => {
      jwks = { keys: list.map((k) => k.jwk) }
    },
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.()
      server.close(resolve)
    }),
  }
}

/** Standard claims of a portal token from `issuer`, with `extra` merged in. */
export function claims(issuer, extra = {}) {
  const t = now()
  return {
    iss: issuer,
    sub: 'sub-alice',
    aud: 'dezky-portal',
    exp: t + 300,
    iat: t - 5,
    email: 'alice@example.com',
    name: 'Alice',
    groups: ['dezky-users'],
    ...extra,
  }
}
