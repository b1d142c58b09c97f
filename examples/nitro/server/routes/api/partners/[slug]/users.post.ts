import { requireOperator, requirePartnerStaff } from '@dezky/sdk'

/**
 * POST /api/partners/:slug/users `{email, name}`: invites a partner staff
 * member (`Members.invitePartnerStaff`: an identity in the shared staff group
 * and a one-time recovery link). From the operator app, an operator; from the
 * portal, the partner's own staff. A terminated partner is refused. Answers
 * 201 with the user's id, the member record and the recovery link, shown this
 * once (the server keeps no copy).
 */
export default defineApiHandler(async (event, caller) => {
  const partner = partnerBySlug(param(event, 'slug'))
  if (caller.actor.surface === 'operator') requireOperator(caller.actor, caller.user)
  else requirePartnerStaff(caller.actor, caller.user, partner)
  const body = await readJsonObject(event, ['email', 'name'])
  const invited = await useMembers().invitePartnerStaff(partner, body as any, caller)
  const id = newObjectId()
  useDb().users.set(id, { ...invited.document, _id: id } as any)
  record(invited.events)
  setResponseStatus(event, 201)
  return { userId: id, member: invited.member, recoveryLink: invited.recoveryLink.reveal() }
})
