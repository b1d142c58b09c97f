import { requirePlatformAdmin } from '@dezky/sdk'

/**
 * POST /api/testing/faults `{upstream?, kind?, op, code, afterEffect?, retryAfterMs?}`:
 * for tests only, when DEZKY_PORTAL_TEST_FAULTS=1 on the in-memory upstreams
 * (a 404 otherwise): the next `op` of an in-memory upstream fails with the
 * error `code`, before it takes effect or (`afterEffect`) after, its answer
 * lost. `upstream`: `members` (the default; `kind` names the member upstream),
 * `mail` (the domains' mail server) or `sso` (the SSO apps' identity provider).
 */
export default defineEventHandler(async (event) => {
  if (!testingEnabled()) return testingNotFound(event)
  return defineApiHandler(async (e, { actor, user }) => {
    requirePlatformAdmin(actor, user)
    const body = await readJsonObject(e, ['upstream', 'kind', 'op', 'code', 'afterEffect', 'retryAfterMs'])
    const { upstream = 'members', kind, op, code, afterEffect, retryAfterMs } = body as any
    if (upstream === 'members') {
      useMembers().failNext(kind, op, code, { afterEffect, retryAfterMs })
    } else if (upstream === 'mail' || upstream === 'sso') {
      if (kind !== undefined) throw invalidField('kind', `is not a field for the ${upstream} upstream`)
      const target = upstream === 'mail' ? useDomains() : useSsoApps()
      if (afterEffect) target.loseNextReply(op, code, retryAfterMs)
      else target.failNext(op, code, retryAfterMs)
    } else {
      throw invalidField('upstream', 'must be members, mail or sso')
    }
    return { queued: true }
  })(event)
})
