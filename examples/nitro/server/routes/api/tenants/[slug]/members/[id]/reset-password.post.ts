/**
 * POST /api/tenants/:slug/members/:id/reset-password: a new one-time password
 * on the member's identity and mailbox, shown this once; sessions end.
 */
export default defineApiHandler(async (event, caller) => {
  await readJsonObject(event, [])
  const tenant = tenantBySlug(param(event, 'slug'))
  const member = userById(param(event, 'id'))
  const reset = await useMembers().resetPassword(tenant, member, caller)
  saveUser(member, reset.change.patch)
  record(reset.change.events)
  return { password: reset.password.reveal() }
})
