import { terminatePartner } from '@dezky/sdk'

/**
 * DELETE /api/partners/:slug: the operator app terminates a partner
 * (`terminatePartner`): a soft status (`terminated`, `terminatedAt`), never a
 * delete, since tenants may still name it. Terminating again changes nothing.
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const partner = partnerBySlug(param(event, 'slug'))
  const change = terminatePartner(partner, caller)
  const saved = change.patch.update ? savePartner(partner, change.patch) : partner
  record(change.events)
  return { partner: saved }
})
