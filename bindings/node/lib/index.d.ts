// Public types: the generated declarations of the native module (../index.d.ts,
// written by `napi build --dts` from the Rust docs) plus the hand-written layer.
export * from '../index'

/** The stable error codes, one per variant of the SDK crates' error types. */
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
 * fields are set when they apply.
 */
export declare class DezkyError extends Error {
  constructor(code: DezkyErrorCode, message: string, details?: Record<string, unknown>)
  readonly name: 'DezkyError'
  readonly code: DezkyErrorCode
  /** The flag concerned (`DEZKY_INVALID_FLAG`, `DEZKY_DUPLICATE_FLAG`, `DEZKY_FLAG_NOT_FOUND`). */
  readonly flag?: string
  /** The offending field, as a path (`pct`, `scope.plans[2]`, `tenantId`, `[4].plan`). */
  readonly field?: string
  /** The offending argument (`DEZKY_INVALID_ARGUMENT`). */
  readonly argument?: string
  /** 1-based position of a JSON syntax error (`DEZKY_MALFORMED_JSON`) or the line of a zone-file error (`DEZKY_ZONE_PARSE`); 0 when unknown. */
  readonly line?: number
  readonly column?: number
  /** The failing source (`DEZKY_FLAG_SOURCE`, `DEZKY_TRANSPORT`, `DEZKY_UPSTREAM`). */
  readonly source?: string
  /** The HTTP status the upstream answered with (`DEZKY_UPSTREAM`). */
  readonly status?: number
  /** `exp` of an expired token, seconds since the epoch (`DEZKY_TOKEN_EXPIRED`). */
  readonly expiredAt?: number
  /** The issuer concerned (`DEZKY_TOKEN_UNKNOWN_KEY`, `DEZKY_AUTH_KEYS_UNAVAILABLE`). */
  readonly issuer?: string
}
