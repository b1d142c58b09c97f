import { me } from '@dezky/sdk'

/**
 * GET /api/me: the caller's profile (`me` of the SDK): who the verified token
 * says they are, and the tenants, roles and partner their user record gives.
 */
export default defineApiHandler((_event, { actor, user }) => {
  const { tenants, partners } = useDb()
  const ids = new Set((user.tenantIds ?? []).map(idOf))
  const theirs = [...tenants.values()].filter((t) => ids.has(idOf(t._id)))
  const partner = user.partnerId ? (partners.get(idOf(user.partnerId)) ?? null) : null
  return me(actor, user, theirs, partner)
})
