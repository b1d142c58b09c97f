// Branding from Node: Branding (fromValue, template, render), the colour
// helpers and the template check over dezky_core::branding.
import assert from 'node:assert/strict'
import test from 'node:test'

import {
  Branding,
  assertCode,
  checkTemplate,
  contrastRatio,
  mailTemplatePlaceholders,
  meetsWcagAa,
  parseColour,
  readableOn,
} from '../__test__/helpers.mjs'

const invalid = (fn, field) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { field })
const argument = (fn, name) => assertCode(fn, 'DEZKY_INVALID_ARGUMENT', { argument: name })

const VALUES = {
  tenantName: 'Tom & Jerry <Ltd>',
  memberName: 'Eve\r\nBcc: mallory@evil.example',
  memberEmail: 'eve@acme.example',
  loginUrl: 'https://portal.example/login?a=1&b="2"',
  oneTimePassword: `p<'">&`,
}

test('fromValue: the defaults, a normalised colour, overrides', () => {
  assert.deepEqual(Branding.fromValue({}).value, { productName: 'Dezky', accentColor: '#2563eb', emailTemplates: {} })
  const branding = Branding.fromValue({
    productName: '  Acme Cloud ',
    accentColor: '#ABC',
    emailTemplates: { member_welcome: { subject: 'Welcome to {{productName}}, {{ memberName }}', text: null } },
  })
  assert.equal(branding.productName, 'Acme Cloud')
  assert.equal(branding.accentColor, '#aabbcc')
  const stored = {
    productName: 'Acme Cloud',
    accentColor: '#aabbcc',
    emailTemplates: { member_welcome: { subject: 'Welcome to {{productName}}, {{ memberName }}' } },
  }
  assert.deepEqual(branding.value, stored)
  assert.deepEqual(JSON.parse(JSON.stringify(branding)), stored)
  // The stored form reads back as the same branding.
  assert.deepEqual(Branding.fromValue(branding.toJSON()).value, stored)

  const template = branding.template('member_welcome')
  assert.equal(template.subject, 'Welcome to {{productName}}, {{ memberName }}')
  assert.match(template.text, /^Hello \{\{memberName\}\},/)
  assert.deepEqual(Object.keys(template).sort(), ['html', 'subject', 'text'])
})

test('render: HTML-escaped values, a subject without line breaks, plain text as given', () => {
  const branding = Branding.fromValue({
    productName: 'Acme <Cloud>',
    accentColor: '#aabbcc',
    emailTemplates: { member_welcome: { subject: 'Welcome to {{productName}}, {{memberName}}' } },
  })
  const mail = branding.render('member_welcome', VALUES)
  assert.equal(mail.subject, 'Welcome to Acme <Cloud>, Eve  Bcc: mallory@evil.example')
  assert.doesNotMatch(mail.subject, /[\r\n]/)
  assert.ok(mail.html.includes('Tom &amp; Jerry &lt;Ltd&gt;'), mail.html)
  assert.ok(mail.html.includes('<code>p&lt;&#39;&quot;&gt;&amp;</code>'), mail.html)
  assert.ok(mail.html.includes('href="https://portal.example/login?a=1&amp;b=&quot;2&quot;"'), mail.html)
  assert.ok(mail.html.includes('style="background:#aabbcc;color:#000000"'), mail.html)
  assert.ok(!mail.html.includes('<Ltd>'))
  assert.ok(mail.text.includes('Tom & Jerry <Ltd>'))
  assert.ok(mail.text.includes(`Your one-time password: p<'">&`))

  // The product name is escaped in the HTML too; a dark accent gets white text.
  const welcome = Branding.fromValue({ productName: 'A<b>', accentColor: '#123' }).render('tenant_welcome', {
    tenantName: 'Acme',
    contactName: 'Ann',
    portalUrl: 'https://portal.example/',
  })
  assert.ok(welcome.html.includes('Open A&lt;b&gt;</a>'), welcome.html)
  assert.ok(welcome.html.includes('color:#ffffff'), welcome.html)
  assert.equal(welcome.subject, 'Welcome to A<b>, Acme')
})

test('render refusals name values.<name>', async () => {
  const branding = Branding.fromValue({})
  const { oneTimePassword, ...missing } = VALUES
  await invalid(() => branding.render('member_welcome', missing), 'values.oneTimePassword')
  await invalid(() => branding.render('member_welcome', { ...VALUES, portalUrl: 'https://x.example' }), 'values.portalUrl')
  await invalid(() => branding.render('member_welcome', { ...VALUES, loginUrl: 'javascript:alert(1)' }), 'values.loginUrl')
  await invalid(() => branding.render('member_welcome', { ...VALUES, tenantName: 42 }), 'values.tenantName')
  await invalid(() => branding.render('member_welcome', ['x']), 'values')
  await argument(() => branding.render('welcome', VALUES), 'template')
  await argument(() => branding.template(3), 'template')
  assert.equal(oneTimePassword, VALUES.oneTimePassword)
})

test('refused brandings name the field', async () => {
  await invalid(() => Branding.fromValue({ accentColor: 'blue' }), 'branding.accentColor')
  await invalid(() => Branding.fromValue({ accentColor: 255 }), 'branding.accentColor')
  await invalid(() => Branding.fromValue({ productName: '   ' }), 'branding.productName')
  await invalid(() => Branding.fromValue({ productName: 'x'.repeat(61) }), 'branding.productName')
  await invalid(() => Branding.fromValue({ productName: 'a\nb' }), 'branding.productName')
  await invalid(
    () => Branding.fromValue({ emailTemplates: { member_welcome: { html: '<p>{{nope}}</p>' } } }),
    'branding.emailTemplates.member_welcome.html',
  )
  await invalid(
    () => Branding.fromValue({ emailTemplates: { member_welcome: { text: 'Hi {{memberName' } } }),
    'branding.emailTemplates.member_welcome.text',
  )
  await invalid(() => Branding.fromValue({ emailTemplates: { welcome: {} } }), 'branding.emailTemplates.welcome')
  await invalid(() => Branding.fromValue({ emailTemplates: { member_welcome: { body: 'x' } } }), 'branding.emailTemplates.member_welcome.body')
  await invalid(() => Branding.fromValue({ colour: '#fff' }), 'branding.colour')
  await invalid(() => Branding.fromValue(null), 'branding')
  await invalid(() => Branding.fromValue('Acme'), 'branding')
})

test('colours: parse, readable text, WCAG contrast', async () => {
  assert.equal(parseColour(' #ABC '), '#aabbcc')
  assert.equal(parseColour('#2563EB'), '#2563eb')
  await invalid(() => parseColour('red'), 'colour')
  await invalid(() => parseColour('#abcd', 'accentColor'), 'accentColor')
  await argument(() => parseColour(5), 'text')

  assert.equal(readableOn('#ffffff'), '#000000')
  assert.equal(readableOn('#2563eb'), '#ffffff')
  // YIQ 128 exactly is light: (299*128 + 587*128 + 114*128) / 1000 = 128.
  assert.equal(readableOn('#808080'), '#000000')
  assert.equal(readableOn('#7f7f7f'), '#ffffff')
  await invalid(() => readableOn('#12345g'), 'background')
  await argument(() => readableOn(5), 'background')

  assert.ok(Math.abs(contrastRatio('#000', '#fff') - 21) < 1e-9)
  assert.equal(contrastRatio('#fff', '#000'), contrastRatio('#000', '#fff'))
  assert.equal(contrastRatio('#2563eb', '#2563eb'), 1)
  const ratio = contrastRatio('#2563eb', '#ffffff')
  assert.ok(Math.abs(ratio - 5.17) < 0.01, `${ratio}`)
  await invalid(() => contrastRatio('#000', 'white'), 'other')
  await invalid(() => contrastRatio('black', '#fff'), 'colour')

  assert.equal(meetsWcagAa(4.5), true)
  assert.equal(meetsWcagAa(4.49), false)
  assert.equal(meetsWcagAa(3, true), true)
  assert.equal(meetsWcagAa(2.99, true), false)
  assert.equal(meetsWcagAa(Number.NaN), false)
  assert.equal(meetsWcagAa(ratio), true)
})

test('checkTemplate and the placeholders of each template', async () => {
  assert.equal(checkTemplate('member_welcome', 'Hi {{ memberName }} at {{productName}}'), undefined)
  await invalid(() => checkTemplate('tenant_welcome', 'Hi {{memberName}}', 'subject'), 'subject')
  await invalid(() => checkTemplate('tenant_welcome', 'Hi {{contactName'), 'text')
  await invalid(() => checkTemplate('password_reset', 'x'.repeat(64 * 1024 + 1)), 'text')
  await argument(() => checkTemplate('goodbye', 'x'), 'template')
  assert.deepEqual(mailTemplatePlaceholders('tenant_welcome'), ['tenantName', 'contactName', 'portalUrl'])
  assert.deepEqual(mailTemplatePlaceholders('password_reset'), [
    'tenantName',
    'memberName',
    'memberEmail',
    'loginUrl',
    'oneTimePassword',
  ])
})
