/**
 * POST /api/tenants/:slug/members `{email, name, admin?, quotaBytes?}`: a
 * tenant admin creates a member on every upstream. Answers 201 with the user's
 * id, the member record and the one-time password, shown this once (the
 * server keeps no copy). The SDK checks the rights and the body (unknown
 * fields refused, naming `member.<field>`).
 */
export default defineApiHandler(async (event, caller) => {
  const tenant = tenantBySlug(param(event, 'slug'))
  const body = await readJsonObject(event, ['email', 'name', 'admin', 'quotaBytes'])
  const created = await useMembers().createMember(tenant, body as any, caller)
  const id = newObjectId()
  useDb().users.set(id, { ...created.document, _id: id } as any)
  record(created.events)
  setResponseStatus(event, 201)
  return { userId: id, member: created.member, password: created.password.reveal() }
})
