import { requirePlatformAdmin } from '@dezky/sdk'

/**
 * POST /api/testing/mailboxes `{address}`: for tests only (as
 * /api/testing/faults): a mailbox appears on the in-memory mail server of the
 * domains, out of band, so that a domain is in use.
 */
export default defineEventHandler(async (event) => {
  if (!testingEnabled()) return testingNotFound(event)
  return defineApiHandler(async (e, { actor, user }) => {
    requirePlatformAdmin(actor, user)
    const body = await readJsonObject(e, ['address'])
    return { id: useDomains().insertMemoryMailbox(stringField(body, 'address') as string) }
  })(event)
})
