import type { H3Event } from 'h3'

/** Whether the test-only routes answer: DEZKY_PORTAL_TEST_FAULTS=1 on the in-memory upstreams. */
export function testingEnabled(): boolean {
  return process.env.DEZKY_PORTAL_TEST_FAULTS === '1' && upstreams === 'memory'
}

/** The answer of a test-only route when it is off: a 404 like any unknown route. */
export function testingNotFound(event: H3Event) {
  setResponseStatus(event, 404)
  return { code: 'NOT_FOUND', message: 'not found', details: {} }
}
