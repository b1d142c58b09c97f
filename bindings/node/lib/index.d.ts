// Public types: the generated declarations of the native module (../index.d.ts,
// written by `napi build --dts` from the Rust docs) plus the hand-written layer.
export * from '../index'

import type { EvaluationContext } from '../index'

// `evaluateAll` is written in JavaScript (lib/index.cjs) over the native
// `evaluateAllBits`, so its declaration is added to the generated classes here.
declare module '../index' {
  interface FlagSet {
    /**
     * Evaluates every flag for one context: `{key: boolean}` in flag order. The hot path.
     * Throws `DEZKY_INVALID_CONTEXT` for an unknown field or a value that is not a string.
     */
    evaluateAll(context: EvaluationContext): Record<string, boolean>
  }
  interface FlagStore {
    /** Evaluates every flag of the current snapshot: `{key: boolean}` in flag order. */
    evaluateAll(context: EvaluationContext): Record<string, boolean>
  }
}

/** The stable error codes, one per variant of the SDK crates' error types (built from the crates' own lists). */
export declare const ErrorCode: {
  readonly INVALID_FLAG: 'DEZKY_INVALID_FLAG'
  readonly MALFORMED_JSON: 'DEZKY_MALFORMED_JSON'
  readonly DUPLICATE_FLAG: 'DEZKY_DUPLICATE_FLAG'
  readonly INVALID_CONTEXT: 'DEZKY_INVALID_CONTEXT'
  readonly FLAG_NOT_FOUND: 'DEZKY_FLAG_NOT_FOUND'
  readonly INVALID_ARGUMENT: 'DEZKY_INVALID_ARGUMENT'
  readonly FLAG_SOURCE: 'DEZKY_FLAG_SOURCE'
  readonly CONFIG: 'DEZKY_CONFIG'
  readonly TRANSPORT: 'DEZKY_TRANSPORT'
  readonly UPSTREAM: 'DEZKY_UPSTREAM'
  readonly TIMEOUT: 'DEZKY_TIMEOUT'
  readonly NOT_FOUND: 'DEZKY_NOT_FOUND'
  readonly ALREADY_EXISTS: 'DEZKY_ALREADY_EXISTS'
  readonly IN_USE: 'DEZKY_IN_USE'
  readonly UPSTREAM_REJECTED: 'DEZKY_UPSTREAM_REJECTED'
  readonly UPSTREAM_UNAUTHORIZED: 'DEZKY_UPSTREAM_UNAUTHORIZED'
  readonly UPSTREAM_FORBIDDEN: 'DEZKY_UPSTREAM_FORBIDDEN'
  readonly RATE_LIMITED: 'DEZKY_RATE_LIMITED'
  readonly PAYMENT_FAILED: 'DEZKY_PAYMENT_FAILED'
  readonly UPSTREAM_UNAVAILABLE: 'DEZKY_UPSTREAM_UNAVAILABLE'
  readonly UPSTREAM_DECODE: 'DEZKY_UPSTREAM_DECODE'
  readonly SERVICE_LOGIN_REQUIRED: 'DEZKY_SERVICE_LOGIN_REQUIRED'
  readonly CREDENTIAL_STORE: 'DEZKY_CREDENTIAL_STORE'
  readonly ZONE_PARSE: 'DEZKY_ZONE_PARSE'
  readonly DNS_RESOLVER: 'DEZKY_DNS_RESOLVER'
  readonly TOKEN_MALFORMED: 'DEZKY_TOKEN_MALFORMED'
  readonly TOKEN_BAD_SIGNATURE: 'DEZKY_TOKEN_BAD_SIGNATURE'
  readonly TOKEN_EXPIRED: 'DEZKY_TOKEN_EXPIRED'
  readonly TOKEN_NOT_YET_VALID: 'DEZKY_TOKEN_NOT_YET_VALID'
  readonly TOKEN_UNKNOWN_ISSUER: 'DEZKY_TOKEN_UNKNOWN_ISSUER'
  readonly TOKEN_WRONG_AUDIENCE: 'DEZKY_TOKEN_WRONG_AUDIENCE'
  readonly TOKEN_UNKNOWN_KEY: 'DEZKY_TOKEN_UNKNOWN_KEY'
  readonly AUTH_CONFIG: 'DEZKY_AUTH_CONFIG'
  readonly AUTH_KEYS_UNAVAILABLE: 'DEZKY_AUTH_KEYS_UNAVAILABLE'
  readonly FORBIDDEN: 'DEZKY_FORBIDDEN'
}

export type DezkyErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/**
 * Every error thrown (or rejected with) by the SDK. `code` is stable; the other
 * fields are the error's details, set when they apply (docs/errors.md lists
 * them by code).
 */
export declare class DezkyError extends Error {
  constructor(code: DezkyErrorCode, message: string, details?: Record<string, unknown>)
  readonly name: 'DezkyError'
  readonly code: DezkyErrorCode
  /** The flag concerned (`DEZKY_INVALID_FLAG`, `DEZKY_DUPLICATE_FLAG`, `DEZKY_FLAG_NOT_FOUND`). */
  readonly flag?: string
  /** The offending field, as a path (`pct`, `scope.plans[2]`, `tenantId`, `[4].plan`, `tenant.slug`), or the setting (`DEZKY_CONFIG`). */
  readonly field?: string
  /** The top-level argument that was refused (`DEZKY_INVALID_ARGUMENT`). */
  readonly argument?: string
  /** What is wrong, in words (validation, token and authorization errors). */
  readonly reason?: string
  /** 1-based position of a JSON syntax error (`DEZKY_MALFORMED_JSON`) or the line of a zone-file error (`DEZKY_ZONE_PARSE`); 0 when unknown. */
  readonly line?: number
  readonly column?: number
  /** The failing source or URL, without query string (`DEZKY_FLAG_SOURCE`, `DEZKY_TRANSPORT`, upstream errors), or the credential store's path. */
  readonly source?: string
  /** The stable code of a flag source's underlying failure (`DEZKY_FLAG_SOURCE`). */
  readonly causeCode?: string
  /** The upstream (`authentik`, `ocis`, `stalwart`, `stripe`, ...) of a client error. */
  readonly service?: string
  /** The HTTP method of the failed request. */
  readonly method?: string
  /** The HTTP status the upstream (or an HTTP flag source) answered with. */
  readonly status?: number
  /** The upstream's own error code (`itemNotFound`, `resource_missing`, `objectIsLinked`, ...). */
  readonly upstreamCode?: string
  /** The upstream's own message. */
  readonly upstreamMessage?: string
  /** The upstream's request id. */
  readonly requestId?: string
  /** How long the upstream asked to wait, in milliseconds (`DEZKY_RATE_LIMITED`). */
  readonly retryAfterMs?: number
  /** The time allowed, in milliseconds (`DEZKY_TIMEOUT`). */
  readonly timeoutMs?: number
  /** Field name → the upstream's messages (upstream errors; empty when it named none). */
  readonly fields?: Record<string, string[]>
  /** Ids of the objects that still use the target (`DEZKY_IN_USE`; empty otherwise). */
  readonly linked?: string[]
  /** Further facts by the upstream's own names (Stripe's `type`, `decline_code`, `advice_code`, `request_log_url`). */
  readonly upstreamDetails?: Record<string, string>
  /** `exp` of an expired token, seconds since the epoch (`DEZKY_TOKEN_EXPIRED`). */
  readonly expiredAt?: number
  /** The issuer concerned (`DEZKY_TOKEN_UNKNOWN_ISSUER`, `DEZKY_TOKEN_UNKNOWN_KEY`, `DEZKY_AUTH_KEYS_UNAVAILABLE`). */
  readonly issuer?: string
  /** The token's audience, quoted and shortened (`DEZKY_TOKEN_WRONG_AUDIENCE`). */
  readonly audience?: string
  /** The token's key id, quoted and shortened (`DEZKY_TOKEN_UNKNOWN_KEY`, when it has one). */
  readonly kid?: string
}
