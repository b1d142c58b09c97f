/** POST /api/tenants/:slug/members/:id/resume: restores what suspending changed. */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const member = userById(param(event, 'id'))
  const change = await useMembers().resumeMember(tenant, member, caller)
  saveUser(member, change.patch)
  record(change.events)
  return { effects: change.effects }
})
