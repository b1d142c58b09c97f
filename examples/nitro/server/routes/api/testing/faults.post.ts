import { requirePlatformAdmin } from '@dezky/sdk'

/**
 * POST /api/testing/faults `{kind, op, code, afterEffect?, retryAfterMs?}`: for
 * tests only, when DEZKY_PORTAL_TEST_FAULTS=1 on the in-memory upstreams (a 404
 * otherwise): the next `op` of a member upstream fails with the error `code`.
 */
export default defineEventHandler(async (event) => {
  if (process.env.DEZKY_PORTAL_TEST_FAULTS !== '1' || upstreams !== 'memory') {
    setResponseStatus(event, 404)
    return { code: 'NOT_FOUND', message: 'not found', details: {} }
  }
  return defineApiHandler(async (e, { actor, user }) => {
    requirePlatformAdmin(actor, user)
    const body = await readJsonObject(e, ['kind', 'op', 'code', 'afterEffect', 'retryAfterMs'])
    const { kind, op, code, ...options } = body as any
    useMembers().failNext(kind, op, code, options)
    return { queued: true }
  })(event)
})
