/**
 * POST /api/tenants/:slug/members/:id/suspend: a tenant admin suspends a member
 * (SSO and mailbox; sessions end). Never oneself (403).
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const member = userById(param(event, 'id'))
  const change = await useMembers().suspendMember(tenant, member, caller)
  saveUser(member, change.patch)
  record(change.events)
  return { effects: change.effects, sessionsEnded: change.sessionsEnded }
})
