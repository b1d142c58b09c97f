import type { H3Event } from 'h3'

import { DezkyError, ErrorCode, requireOwnActiveRecord, toHttpError } from '@dezky/sdk'
import type { Actor } from '@dezky/sdk'

import { record, userBySubject } from './db'
import { useVerifier } from './sdk'

/** The verified caller of a route: the token's actor and their own user record. */
export interface Caller {
  actor: Actor
  user: Record<string, any> & { _id: string; authentikSubjectId: string }
}

/**
 * A route of the portal's API. Every call:
 *
 * 1. verifies the bearer token with the SDK (`TokenVerifier`): a missing or bad
 *    token is a 401 with the token error's code;
 * 2. loads the caller's user record by the token's subject (rights come from
 *    it, never from the token or the body) and checks it is active;
 * 3. runs `handler`; any error becomes the SDK's HTTP answer (`toHttpError`:
 *    status from the one table, body `{code, message, details}`,
 *    `Retry-After`), and the audit events of a failed member operation are
 *    recorded.
 */
export function defineApiHandler<T>(handler: (event: H3Event, caller: Caller) => Promise<T> | T) {
  return defineEventHandler(async (event) => {
    try {
      const caller = await authenticate(event)
      return await handler(event, caller)
    } catch (error) {
      return answerError(event, error)
    }
  })
}

/** Sends the HTTP answer of `error`. */
export function answerError(event: H3Event, error: unknown) {
  const answer = toHttpError(error)
  record((error as { failure?: { events?: any[] } } | null)?.failure?.events)
  if (answer.status === 500 && !(error instanceof DezkyError)) {
    // Not the SDK's: logged by its message only, never sent.
    console.error('unexpected error:', error instanceof Error ? error.message : typeof error)
  }
  setResponseStatus(event, answer.status)
  for (const [name, value] of Object.entries(answer.headers)) setResponseHeader(event, name, value)
  return answer.body
}

async function authenticate(event: H3Event): Promise<Caller> {
  const header = getRequestHeader(event, 'authorization') ?? ''
  const match = /^Bearer (\S+)$/.exec(header)
  if (!match) {
    throw new DezkyError(ErrorCode.TOKEN_MALFORMED, 'no bearer token', { reason: 'no Authorization: Bearer header' })
  }
  const actor = await useVerifier().verifyToken(match[1])
  const user = userBySubject(actor.subject)
  if (!user) {
    throw new DezkyError(ErrorCode.FORBIDDEN, 'no user record for this token', { reason: 'no user record' })
  }
  requireOwnActiveRecord(actor, user)
  return { actor, user }
}

/**
 * The JSON body as an object with only the `allowed` fields (an empty body is
 * `{}`): malformed JSON is `DEZKY_MALFORMED_JSON`, another shape or an unknown
 * field `DEZKY_INVALID_ARGUMENT` naming it.
 */
export async function readJsonObject(event: H3Event, allowed: string[]): Promise<Record<string, unknown>> {
  const text = (await readRawBody(event, 'utf8')) ?? ''
  if (text.trim() === '') return {}
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new DezkyError(ErrorCode.MALFORMED_JSON, `the body is not JSON: ${(error as Error).message}`, { line: 0, column: 0 })
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new DezkyError(ErrorCode.INVALID_ARGUMENT, 'body: must be an object', { argument: 'body', reason: 'must be an object' })
  }
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) {
      const reason = allowed.length ? `is not a field (${allowed.join(', ')})` : 'no fields are accepted'
      throw new DezkyError(ErrorCode.INVALID_ARGUMENT, `${key}: ${reason}`, { argument: 'body', field: key, reason })
    }
  }
  return body as Record<string, unknown>
}

/** A route parameter that is present. */
export function param(event: H3Event, name: string): string {
  return decodeURIComponent(getRouterParam(event, name) ?? '')
}

/** `DEZKY_INVALID_ARGUMENT` naming the body's `field`. */
export function invalidField(field: string, reason: string): DezkyError {
  return new DezkyError(ErrorCode.INVALID_ARGUMENT, `${field}: ${reason}`, { argument: 'body', field, reason })
}

/**
 * The body's `field` as a string (`undefined` when absent and `optional`).
 * Only the JSON type is checked here; the SDK checks the value.
 */
export function stringField(body: Record<string, unknown>, field: string, optional = false): string | undefined {
  const value = body[field]
  if (value === undefined && optional) return undefined
  if (typeof value !== 'string') throw invalidField(field, value === undefined ? 'is required' : 'must be a string')
  return value
}

/** The body's `field` as an array of strings. */
export function stringsField(body: Record<string, unknown>, field: string): string[] {
  const value = body[field]
  if (!Array.isArray(value)) throw invalidField(field, value === undefined ? 'is required' : 'must be an array of strings')
  value.forEach((item, i) => {
    if (typeof item !== 'string') throw invalidField(`${field}[${i}]`, 'must be a string')
  })
  return value as string[]
}
