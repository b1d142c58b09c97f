// The options every upstream client shares (baseUrl, timeoutMs,
// connectTimeoutMs, maxRetries) are read and bounded alike: a bad value is a
// DEZKY_INVALID_ARGUMENT naming the option, before any request is made.
import { test } from 'node:test'

import { AuthentikClient, OcisClient, StalwartClient, StripeClient, assertCode } from '../__test__/helpers.mjs'

const BASE = 'http://127.0.0.1:9'
const clients = {
  AuthentikClient: (extra) => new AuthentikClient({ baseUrl: BASE, token: 't', ...extra }),
  OcisClient: (extra) => new OcisClient({ baseUrl: BASE, accessToken: 't', ...extra }),
  StalwartClient: (extra) => new StalwartClient({ baseUrl: BASE, apiKey: 'k', ...extra }),
  StripeClient: (extra) => new StripeClient({ secretKey: 'sk_test_x', baseUrl: BASE, ...extra }),
}

for (const [name, make] of Object.entries(clients)) {
  test(`${name}: valid options build a client`, () => {
    make({ timeoutMs: 1500, connectTimeoutMs: 200, maxRetries: 0 })
    make({ maxRetries: 10 })
  })

  test(`${name}: bad timeouts and retry counts name the option`, async () => {
    const cases = [
      [{ timeoutMs: 0 }, 'options.timeoutMs'],
      [{ timeoutMs: -5 }, 'options.timeoutMs'],
      [{ timeoutMs: 'soon' }, 'options.timeoutMs'],
      [{ connectTimeoutMs: 0 }, 'options.connectTimeoutMs'],
      [{ connectTimeoutMs: 1.5 }, 'options.connectTimeoutMs'],
      [{ maxRetries: 11 }, 'options.maxRetries'],
      [{ maxRetries: -1 }, 'options.maxRetries'],
    ]
    for (const [extra, field] of cases) {
      await assertCode(() => make(extra), 'DEZKY_INVALID_ARGUMENT', { field })
    }
  })

  test(`${name}: a base URL with credentials is a configuration error`, async () => {
    await assertCode(() => make({ baseUrl: 'http://admin:pw@127.0.0.1:9' }), 'DEZKY_CONFIG')
  })
}
