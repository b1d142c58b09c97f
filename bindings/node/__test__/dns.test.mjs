// Mail-domain DNS verification: parsing, expected records, and verification
// against a private NSD (Debian `nsd`) on 127.0.0.1 at a free high port.
// NSD comes from scripts/install-test-deps.sh; without it these tests fail.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'

import { DezkyError, assertCode, expectedRecords, parseZoneFile, verifyDomain, verifyDomains } from './helpers.mjs'

const STALWART = readFileSync(new URL('../../../tests/fixtures/dns/stalwart-acme.zone', import.meta.url), 'utf8')
const TOKEN = 'k3J9xQ2mP7vR4tW8yZ1aB5cD'
const zoneFor = (domain) => STALWART.replaceAll('acme.test', domain)
const ownership = (domain) => `_dezky-challenge.${domain}. IN TXT "dezky-domain-verification=${TOKEN}"\n`

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

const nsdBinary = ['/usr/sbin/nsd', '/usr/bin/nsd', '/usr/local/sbin/nsd'].find((p) => existsSync(p))
let nsd
let port
let dir

before(async () => {
  assert.ok(nsdBinary, 'NSD is not installed: run `bash scripts/install-test-deps.sh` (as root)')
  port = await freePort()
  dir = mkdtempSync(join(tmpdir(), 'dezky-nsd-'))
  const zones = {
    'example.net': 'mail IN A 192.0.2.10\n',
    'correct.test': zoneFor('correct.test') + ownership('correct.test'),
    'mismatch.test': (zoneFor('mismatch.test') + ownership('mismatch.test')).replace('v=spf1 mx -all', 'v=spf1 mx ~all'),
    'missing.test': zoneFor('missing.test')
      .split('\n')
      .filter((l) => !l.startsWith('_dmarc.'))
      .join('\n'),
  }
  let conf = `server:\n  ip-address: 127.0.0.1@${port}\n  port: ${port}\n  username: ""\n  chroot: ""\n  zonesdir: "${dir}"\n  database: ""\n  pidfile: "${dir}/nsd.pid"\n  xfrdfile: "${dir}/xfrd.state"\n  zonelistfile: "${dir}/zone.list"\n  logfile: "${dir}/nsd.log"\n  server-count: 1\nremote-control:\n  control-enable: no\n`
  for (const [name, body] of Object.entries(zones)) {
    writeFileSync(
      join(dir, `${name}.zone`),
      `$ORIGIN ${name}.\n$TTL 300\n@ IN SOA ns1.${name}. hostmaster.${name}. 1 3600 600 86400 300\n@ IN NS ns1.${name}.\nns1 IN A 127.0.0.1\n${body}\n`,
    )
    conf += `zone:\n  name: "${name}"\n  zonefile: "${name}.zone"\n`
  }
  writeFileSync(join(dir, 'nsd.conf'), conf)
  nsd = spawn(nsdBinary, ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' })
  // Ready when the correct domain verifies completely.
  const deadline = Date.now() + 10000
  for (;;) {
    const report = await verifyDomain(input('correct.test'), local({ timeoutMs: 200, attempts: 1 }))
    if (report.complete) break
    assert.ok(Date.now() < deadline, `nsd did not answer: ${readFileSync(join(dir, 'nsd.log'), 'utf8')}`)
    await new Promise((r) => setTimeout(r, 50))
  }
})

after(async () => {
  if (nsd && nsd.exitCode === null) {
    const exited = new Promise((r) => nsd.once('exit', r))
    nsd.kill('SIGTERM')
    await exited
  }
  if (dir) rmSync(dir, { recursive: true, force: true })
})

const input = (domain) => ({ domain, zoneFile: zoneFor(domain), ownershipToken: TOKEN })
const local = (extra = {}) => ({ nameservers: ['127.0.0.1'], port, timeoutMs: 2000, ...extra })

test('parseZoneFile reads Stalwart records, multi-string TXT joined', () => {
  const records = parseZoneFile(STALWART)
  assert.equal(records.length, 12)
  const rsa = records.find((r) => r.name === 'v1-rsa-20260822._domainkey.acme.test.')
  assert.equal(rsa.type, 'TXT')
  assert.equal(rsa.value.length, 420)
  assert.ok(rsa.value.startsWith('v=DKIM1; k=rsa; h=sha256; p=MIIB'))
  assert.equal(rsa.rdata.split('" "').length, 2)
  const mx = records.find((r) => r.type === 'MX')
  assert.deepEqual(mx, { name: 'acme.test.', ttl: 3600, type: 'MX', value: '10 mail.example.net.', rdata: '10 mail.example.net.' })
})

test('parseZoneFile errors carry DEZKY_ZONE_PARSE and the line', async () => {
  const error = await assertCode(() => parseZoneFile('a.test. IN TXT "ok"\na.test. IN MX ten b.test.\n'), 'DEZKY_ZONE_PARSE')
  assert.equal(error.line, 2)
  assert.ok(error instanceof DezkyError)
})

test('expectedRecords adds the ownership TXT, a zone snippet and a table', async () => {
  const expected = expectedRecords('Acme.Test', STALWART, TOKEN)
  assert.equal(expected.domain, 'acme.test.')
  assert.equal(expected.checks.length, 13)
  const last = expected.checks.at(-1)
  assert.deepEqual(last, {
    name: '_dezky-challenge.acme.test.',
    type: 'TXT',
    kind: 'ownership',
    values: [`dezky-domain-verification=${TOKEN}`],
  })
  assert.equal(expected.checks[1].kind, 'dkim')
  assert.equal(expected.checks[1].selector, 'v1-rsa-20260822')
  assert.ok(expected.zoneSnippet.includes('acme.test. IN TXT "v=spf1 mx -all"\n'))
  assert.deepEqual(
    expected.table.find((r) => r.purpose === 'DMARC'),
    { name: '_dmarc.acme.test.', host: '_dmarc', type: 'TXT', value: 'v=DMARC1; p=reject; rua=mailto:postmaster@acme.test', purpose: 'DMARC' },
  )
  // The snippet is a zone file again.
  assert.equal(parseZoneFile(expected.zoneSnippet).length, 13)
  await assertCode(() => expectedRecords('acme.test', STALWART, 'short'), 'DEZKY_INVALID_ARGUMENT')
})

test('verifyDomain against NSD: a correct domain is all ok', async () => {
  const report = await verifyDomain(input('correct.test'), local())
  for (const check of report.checks) assert.equal(check.status, 'ok', `${check.name} ${check.type}: ${check.message}`)
  assert.equal(report.needsAttention, false)
  assert.equal(report.complete, true)
  assert.deepEqual(report.actions, [])
})

test('verifyDomain: mismatch with a field diff, missing, and the badge', async () => {
  const mismatch = await verifyDomain(input('mismatch.test'), local())
  const spf = mismatch.checks.find((c) => c.kind === 'spf')
  assert.equal(spf.status, 'mismatch')
  assert.deepEqual(spf.diff, [{ field: 'all', expected: '-all', found: '~all' }])
  assert.equal(mismatch.needsAttention, true)
  const missing = await verifyDomain(input('missing.test'), local())
  const statuses = Object.fromEntries(missing.checks.map((c) => [`${c.kind}:${c.name}`, c.status]))
  assert.equal(statuses['dmarc:_dmarc.missing.test.'], 'missing')
  assert.equal(statuses['ownership:_dezky-challenge.missing.test.'], 'missing')
  assert.ok(missing.actions.some((a) => a.startsWith('Publish _dmarc.missing.test TXT')))
})

test('verifyDomain: a dead server gives unknown, never missing', async () => {
  const dead = await freePort()
  const report = await verifyDomain(input('correct.test'), { nameservers: ['127.0.0.1'], port: dead, timeoutMs: 200, attempts: 1 })
  assert.ok(report.checks.every((c) => c.status === 'unknown'))
  assert.equal(report.needsAttention, false)
  assert.equal(report.complete, false)
})

test('verifyDomains keeps input order; authoritative mode asks the zone nameservers', async () => {
  const reports = await verifyDomains([input('mismatch.test'), input('correct.test')], local(), 2)
  assert.deepEqual(
    reports.map((r) => [r.domain, r.needsAttention]),
    [['mismatch.test.', true], ['correct.test.', false]],
  )
  const auth = await verifyDomain(input('correct.test'), local({ authoritative: true }))
  assert.equal(auth.complete, true)
  assert.equal(auth.needsAttention, false)
})

test('verifyDomain rejects bad input with stable codes', async () => {
  await assertCode(() => verifyDomain({ domain: 'acme.test' }, local()), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => verifyDomain(input('correct.test'), { nameservers: ['not-an-ip'] }), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => verifyDomain(input('correct.test'), { colour: 'blue' }), 'DEZKY_INVALID_ARGUMENT')
  await assertCode(() => verifyDomain({ domain: 'acme.test', zoneFile: 'acme.test. IN TXT ("x"' }, local()), 'DEZKY_ZONE_PARSE')
  await assertCode(() => verifyDomain(input('correct.test'), { nameservers: [] }), 'DEZKY_CONFIG')
})
