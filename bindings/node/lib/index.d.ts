// Public types: the generated declarations of the native module (../index.d.ts,
// written by `napi build --dts` from the Rust docs) plus the hand-written layer.
export * from '../index'

import type { AuditEvent, CompiledContext, EvaluationContext } from '../index'

// `evaluateAll` is written in JavaScript (lib/index.cjs) over the native
// `evaluateAllBits`, so its declaration is added to the generated classes here.
declare module '../index' {
  interface FlagSet {
    /**
     * Evaluates every flag for one context: `{key: boolean}` in flag order. The hot path.
     * Throws `DEZKY_INVALID_CONTEXT` for an unknown field or a value that is not a string.
     * A context evaluated many times is cheaper compiled once (`compileContext`).
     */
    evaluateAll(context: EvaluationContext | CompiledContext): Record<string, boolean>
  }
  interface FlagStore {
    /** Evaluates every flag of the current snapshot: `{key: boolean}` in flag order. */
    evaluateAll(context: EvaluationContext | CompiledContext): Record<string, boolean>
  }
  interface Provisioner {
    /**
     * Reconciles every tenant `tenants` yields (an iterable or async iterable of
     * documents), `options.concurrency` at a time, in the order they finish. The
     * input is read only as fast as tenants are reconciled; stopping early
     * (`break`) cancels the run. The last event is `{kind: 'done', summary}`.
     */
    reconcileAll(
      tenants: Iterable<TenantDocument> | AsyncIterable<TenantDocument>,
      actor: string,
      options?: BulkOptions | null,
    ): AsyncGenerator<BulkEvent, void, undefined>
  }

  // The provisioning records, in the serde form of dezky-core's types
  // (`dezky_core::provisioning`, `dezky_core::lifecycle`, `dezky_core::audit`):
  // field names and cases are those of their serde attributes. They are declared
  // in the native module's scope, where its generated declarations name them.

  /** A provisioning step, the key in `provisioningStatus`. */
  export type ProvisioningStep = 'authentik' | 'stalwart' | 'ocis' | 'stripe' | 'onboarding'
  /** `Tenant.status`. */
  export type TenantStatus = 'pending' | 'active' | 'suspended' | 'deleted'
  /** A step's state in `provisioningStatus`. */
  export type StepState = 'ok' | 'skipped' | 'error' | 'pending'
  /** A lifecycle action of the status machine. */
  export type LifecycleAction = 'activate' | 'suspend' | 'resume' | 'delete' | 'deprovision'

  /** An ObjectId: 24 lowercase hex characters, extended JSON, or a driver `ObjectId`. */
  export type ObjectIdLike = string | { $oid: string } | { toHexString(): string }
  /** A whole number as MongoDB's extended JSON may give it. */
  export type WholeNumber = number | { $numberLong: string }

  /** What suspending did to one step's resource (`suspension.<step>`). */
  export interface SuspensionEntry {
    /** `ok`: suspended upstream; `error`: the last suspend or resume failed. */
    state: StepState
    /** What the upstream returned, to restore the state before. */
    saved: unknown
    /** The last failure's message. */
    message?: string
  }

  /**
   * A tenant document as the control plane stores it (docs/lifecycle.md): read
   * whole, unknown fields kept (`deletedAt`, `suspendedAt`, `deprovisionStatus`,
   * ...); `null` is absent; errors name the field (`tenant.status`). The SDK
   * returns it with the id as the string `_id`.
   */
  export interface TenantDocument {
    /** The ObjectId (`_id` or `id`): its hex string, `{$oid}` or a driver `ObjectId`. */
    _id?: ObjectIdLike
    id?: ObjectIdLike
    slug: string
    status: TenantStatus
    name?: string
    plan?: string
    seats?: WholeNumber | null
    partnerId?: ObjectIdLike | null
    /** The mail domains; the first is the primary one. */
    domains?: string[]
    authentikGroupId?: string | null
    stalwartDomain?: string | null
    ocisSpaceId?: string | null
    stripeCustomerId?: string | null
    onboardingMailId?: string | null
    provisioningStatus?: Partial<Record<ProvisioningStep, StepState>>
    provisioningErrors?: Partial<Record<ProvisioningStep, string>>
    suspension?: Partial<Record<ProvisioningStep, SuspensionEntry>>
    /** Kept as stored. */
    billingInfo?: unknown
    /** The version every write is guarded by. */
    __v?: WholeNumber | null
    [field: string]: unknown
  }

  /** A write to one tenant document: `updateOne(filter, update)`. */
  export interface TenantPatch {
    /** The tenant's ObjectId. */
    tenantId: string
    /** The version (`__v`) the document must be at. */
    expectedVersion: number | null
    /** The MongoDB filter: the tenant at the expected version. */
    filter: Record<string, unknown>
    /** `$set`, `$unset` and `$inc` of the version; null when there is nothing to write. */
    update: Record<string, Record<string, unknown>> | null
  }

  /** One entry of the platform audit log. */
  export interface AuditEvent {
    /** `<object>.<verb>`: `tenant.provision`, `tenant.reconcile`, `tenant.activate`, ... */
    action: string
    outcome: 'success' | 'failure' | 'denied'
    actorEmail: string
    /** RFC 3339 with milliseconds, UTC. */
    at: string
    targetType: string
    /** The tenant's slug, for a tenant. */
    targetId: string
    /** The tenant's ObjectId; absent for an event of no tenant. */
    tenantId?: string
    /** Absent when empty. */
    metadata?: Record<string, unknown>
  }

  /** One step's reconcile result. */
  export interface StepReport {
    step: ProvisioningStep
    state: StepState
    drift: 'in_sync' | 'created' | 'adopted' | 'repaired' | 'missing' | 'conflict' | 'skipped' | 'failed'
    handle: string | null
    message: string | null
    code: string | null
    retryAfterMs: number | null
  }

  /** The result of reconciling (or provisioning) one tenant. */
  export interface Reconciliation {
    tenantId: string
    slug: string
    dryRun: boolean
    steps: StepReport[]
    suspension: StepReport[]
    activated: boolean
    patch: TenantPatch
    events: AuditEvent[]
  }

  /** The result of suspending or resuming a tenant. */
  export interface LifecycleReport {
    action: LifecycleAction
    fromStatus: TenantStatus
    toStatus: TenantStatus
    steps: StepReport[]
    patch: TenantPatch
    events: AuditEvent[]
  }

  /** One step's deprovisioning result. */
  export interface RemovalReport {
    step: ProvisioningStep
    removal: 'removed' | 'absent' | 'foreign' | 'unmanaged' | 'failed' | 'not_reached'
    handle: string | null
    message: string | null
    code: string | null
  }

  /** The result of deprovisioning a deleted tenant. */
  export interface Deprovisioning {
    steps: RemovalReport[]
    complete: boolean
    patch: TenantPatch
    events: AuditEvent[]
  }

  /** An allowed status change (`transitionTenant`). */
  export interface TenantTransition {
    action: LifecycleAction
    fromStatus: TenantStatus
    toStatus: TenantStatus
    patch: TenantPatch
    event: AuditEvent
  }

  /** Options of `Provisioner.reconcile`; unknown options are refused. */
  export interface ReconcileOptions {
    /** Report the drift without creating, adopting or writing anything. */
    dryRun?: boolean
  }

  /** Options of `Provisioner.reconcileAll`; unknown options are refused. */
  export interface BulkOptions {
    /** Tenants reconciled at once (default 16). */
    concurrency?: number
    /** Report drift only. */
    dryRun?: boolean
  }

  /** The totals of a bulk run. */
  export interface BulkSummary {
    tenants: number
    settled: number
    unsettled: number
    refused: number
    activated: number
    errorsByStep: Partial<Record<ProvisioningStep, number>>
  }

  /** One item of a bulk run's progress. */
  export type BulkEvent =
    | { kind: 'reconciled'; result: Reconciliation }
    | { kind: 'refused'; index: number; code: string; message: string }
    | { kind: 'done'; summary: BulkSummary }

  // Security policy, branding, billing and audit records (dezky_core::policy,
  // ::branding, ::billing, ::audit), in their serde form.

  /** A tenant's security policy, as stored (`tenant.securityPolicy`; docs/policy.md). */
  export interface SecurityPolicyValue {
    mfaMode: MfaMode
    /** 5 to 1440; default 60. */
    sessionIdleMinutes: number
    /** 1 to 720, and at least the idle limit; default 24. */
    sessionAbsoluteHours: number
    /** ISO 3166-1 alpha-2 codes, upper case, sorted; empty: any country. */
    allowedCountries: string[]
    /** Networks in CIDR form (`192.0.2.0/24`, `2001:db8::/32`); empty: any address. At most 256. */
    ipAllowlist: string[]
  }

  /** A change of a tenant's policy (`updateSecurityPolicy`). */
  export interface PolicyUpdate {
    /** The whole policy after the change. */
    policy: SecurityPolicyValue
    /** The fields whose value changed; empty: nothing to write. */
    changed: Array<keyof SecurityPolicyValue>
    /** `securityPolicy` set whole, guarded by the document's version (`update` null when nothing changed). */
    patch: TenantPatch
    /** `tenant.security_policy.update`, with `metadata.changed`, `before` and `after`. */
    event: AuditEvent
  }

  /** A tenant's branding, as stored (`TenantBranding`; docs/branding.md). */
  export interface BrandingValue {
    /** 1 to 60 characters; default `Dezky`. */
    productName?: string
    /** `#rgb` or `#rrggbb`; returned as `#rrggbb`. Default `#2563eb`. */
    accentColor?: string
    /** Overrides by template; a part left out (or null) is the built-in one. */
    emailTemplates?: Partial<Record<MailTemplate, { subject?: string | null; text?: string | null; html?: string | null }>>
  }

  /** A price of the catalogue (`prices` collection; docs/billing.md). */
  export interface PriceDocument {
    _id?: ObjectIdLike
    id?: ObjectIdLike
    plan: string
    cycle: BillingCycle
    /** ISO 4217, any case. */
    currency: string
    /** Per seat and cycle, minor units, 0 to 10^12. */
    perSeatAmount: number
    /** Default true. */
    active?: boolean | null
    stripePriceId?: string | null
    [field: string]: unknown
  }

  /** A subscription (`subscriptions` collection); the price fields are snapshots. */
  export interface SubscriptionDocument {
    _id?: ObjectIdLike
    id?: ObjectIdLike
    tenantId: ObjectIdLike
    plan: string
    status: SubscriptionStatus
    stripeCustomerId?: string | null
    stripeSubscriptionId?: string | null
    cycle?: BillingCycle | null
    currency?: string | null
    perSeatAmount?: number | null
    /** 0 to 10^6. */
    seats?: number | null
    [field: string]: unknown
  }

  /** A partner document (the fields billing reads). */
  export interface PartnerDocument {
    _id?: ObjectIdLike
    id?: ObjectIdLike
    slug: string
    name?: string
    status: 'active' | 'suspended' | 'terminated'
    /** The margin in percent, 0 to 100, at most two decimals. */
    marginPct?: number | null
    [field: string]: unknown
  }

  /** Amounts by currency (lower-case ISO 4217), in minor units. */
  export type Totals = Record<string, number>

  /** MRR by every axis the dashboards show (`mrr`). Amounts are minor units. */
  export interface MrrReport {
    /** Every counted subscription's monthly amount. */
    subscriptions: Array<{ subscriptionId: string; tenantId: string; plan: string; currency: string; amount: number; fromCatalogue: boolean }>
    total: Totals
    /** By tenant ObjectId. */
    byTenant: Record<string, Totals>
    byPlan: Record<string, Totals>
    /** One row per partner and currency; `margin + net === mrr`. */
    byPartner: Array<{ partnerId: string; partnerSlug: string; currency: string; mrr: number; marginBasisPoints: number; margin: number; net: number }>
    /** Counted subscriptions that could not be priced, left out of every figure. */
    unpriced: Array<{ subscriptionId: string; reason: string }>
  }

  /** The facts of one billing operation, for `billingAuditEvent` (`BillingFacts` of the core). */
  export interface BillingFacts {
    /** The tenant's ObjectId. */
    tenantId: string
    /** The Stripe subscription (`sub_...`), or the customer (`cus_...`) for a details update. */
    targetId: string
    /** The request id the operation's idempotency key was made from. */
    requestId?: string | null
    /** The seats after the operation: required for a create and a seat change. */
    seats?: number | null
    /** The seats before a seat change, when known. */
    seatsBefore?: number | null
    /** For a details update: the names of the fields set (`name`, `email`, `address`). */
    fields?: string[]
  }

  /** The fields of the control plane's subscription document that Stripe decides, to `$set`. */
  export interface SubscriptionSnapshot {
    status: SubscriptionStatus
    stripeCustomerId: string
    stripeSubscriptionId: string
    cycle: BillingCycle
    currency: string
    perSeatAmount: number
    seats: number
  }

  /** The portal's audit filters (docs/audit.md); every field optional. */
  export interface AuditFilter {
    /** Free text, matched literally in the action, actor, target type and id. */
    q?: string | null
    /** Exact names (`tenant.suspend`) or families (`tenant.*`). */
    action?: string | string[] | null
    outcome?: 'success' | 'failure' | 'denied' | null
    actorEmail?: string | null
    /** RFC 3339 or `YYYY-MM-DD`: events at or after. */
    since?: string | null
    /** Events strictly before. */
    before?: string | null
    /** The page size, 1 to 500 (default 50). */
    limit?: number | null
    /** The previous query's `nextCursor(...)`. */
    cursor?: string | null
  }

  // The member records (`dezky_core::members`, docs/members.md), in their serde form.

  /** A member's upstream resource. */
  export type MemberKind = 'identity' | 'mailbox' | 'files'
  /** A member port operation, for the in-memory upstreams' faults and counts. */
  export type MemberOp =
    | 'find' | 'create' | 'setPassword' | 'suspend' | 'resume' | 'join' | 'leave' | 'endSessions' | 'recoveryLink' | 'remove'

  /** Who acts: the verified actor (`verifyToken`), the caller's own user record, the time (ms since the epoch, default now). */
  export interface MemberCaller {
    actor: Actor | { subject: string; surface: Surface; email?: string | null; name?: string | null }
    user: UserRecord
    at?: number | null
  }

  /** A member to create; unknown fields are refused (`DEZKY_INVALID_ARGUMENT` naming `member.<field>`). */
  export interface NewMember {
    email: string
    name: string
    /** `tenantRoles` `admin` (default false). */
    admin?: boolean
    /** The mailbox quota in bytes (the server's default when absent). */
    quotaBytes?: number | null
  }

  /** A partner staff member to invite. */
  export interface NewStaff {
    email: string
    name: string
  }

  /** A user document as stored (`_id`, `authentikSubjectId`, `tenantIds`, `tenantRoles`, `authentikUserPk`, `ocisUserId`, `mailboxes`, `memberSuspensions`, `__v`, ...). */
  export type MemberDocumentInput = UserRecord & Record<string, unknown>

  /** One upstream resource of a member. */
  export interface MemberResource {
    kind: MemberKind
    handle: string
    name: string
    /** The identity's token subject. */
    subject?: string
  }

  /** A member as made. */
  export interface MemberRecord {
    email: string
    name: string
    tenantId?: string
    role?: 'admin' | 'member'
    partnerId?: string
    subject?: string
    resources: MemberResource[]
  }

  /** A write to one user document at one version: `updateOne(patch.filter, patch.update)`. */
  export interface MemberPatch {
    userId: string
    expectedVersion: number | null
    filter: Record<string, unknown>
    update: Record<string, Record<string, unknown>> | null
  }

  /** What an operation did to one resource. */
  export interface MemberEffect {
    kind: MemberKind
    handle: string
    /** `deactivated`, `left_group`, `joined_group`, `reactivated`, `suspended`, `resumed`, `password_set`, `sessions_ended`. */
    done: string
  }

  /** The result of suspend, resume, force-logout (and of a password reset's `change`). */
  export interface MemberChange {
    action: string
    effects: MemberEffect[]
    sessionsEnded: number
    patch: MemberPatch
    events: AuditEvent[]
  }

  /** One resource's removal. */
  export interface RemovedResource {
    kind: MemberKind
    outcome: 'removed' | 'left_group' | 'kept' | 'absent' | 'failed' | 'not_reached'
    handle?: string
    message?: string
    code?: string
  }

  /** The result of removing a member from a tenant. */
  export interface MemberRemoval {
    steps: RemovedResource[]
    complete: boolean
    /** Delete the user document (`deleteOne(patch.filter)`) instead of applying `patch`. */
    deleteDocument: boolean
    patch: MemberPatch
    events: AuditEvent[]
  }

  /** The `/me` profile. */
  export interface MeProfile {
    id: string
    subject: string
    email?: string | null
    name?: string | null
    surface: Surface
    platformAdmin: boolean
    tenants: Array<{ id: string; slug: string; plan: string; status?: TenantStatus | null; role: string; suspended: boolean }>
    tenantRoles: Record<string, string>
    unknownTenantIds: string[]
    partner?: { id: string; slug: string; status?: string | null; staffAccess: boolean } | null
  }

  /** `failure` of a member operation that failed upstream part-way. */
  export interface MemberFailure {
    action: string
    kind: MemberKind | null
    /** Changes made that could not be undone (a password set on the identity). */
    kept: MemberKind[]
    /** What was undone, newest first; `error` when undoing failed. */
    undone: Array<{ kind: MemberKind; handle: string; error?: { kind: string; code: string; message: string; retryAfterMs: number | null } }>
    leftBehind: boolean
    /** The audit events to record (outcome `failure`). */
    events: AuditEvent[]
  }

  // Mail domains, SSO apps and partners (docs/domains.md, docs/sso-apps.md,
  // docs/partners.md), in the serde form of dezky-core's types.

  /**
   * Who acts: the verified token's actor (`verifyToken`'s `Actor`; only
   * `subject` and `surface` are required), the caller's own user record, and
   * the time of the change in milliseconds since the epoch (default now).
   */
  export interface Caller {
    actor: { subject: string; surface: 'portal' | 'operator'; email?: string | null; [field: string]: unknown }
    user: UserRecord
    at?: number | null
  }

  /** A mail-server operation of `Domains.inMemory()`, for faults and counts. */
  export type MailOp =
    | 'findDomain' | 'createDomain' | 'dkimSelectors' | 'zoneFile' | 'mailboxes' | 'removeDomain'
    | 'addAlias' | 'removeAlias' | 'findList' | 'createList' | 'setListRecipients' | 'removeList' | 'setQuota'

  /** A document of the control plane's `domains` collection. */
  export interface DomainDocument {
    _id?: ObjectIdLike
    id?: ObjectIdLike
    tenantId: ObjectIdLike
    /** Lowercase. */
    name: string
    stalwartDomainId: string
    /** The `_dezky-challenge` TXT token. */
    ownershipToken: string
    status: 'pending' | 'verified' | 'failing'
    /** The tenant's own `_dmarc` record, when set. */
    dmarc?: string | null
    verifiedAt?: string | null
    lastCheckedAt?: string | null
    __v?: WholeNumber | null
    [field: string]: unknown
  }

  /** A domain as listed for its tenant (`Domains.listDomains`). */
  export interface DomainSummary {
    name: string
    status: 'pending' | 'verified' | 'failing'
    /** The first of the tenant's `domains`. */
    primary: boolean
    customDmarc: boolean
    verifiedAt?: string
    lastCheckedAt?: string
  }

  /** A DMARC policy (unknown keys refused); `dmarcRecord` writes its text. */
  export interface DmarcPolicy {
    p: 'none' | 'quarantine' | 'reject'
    sp?: 'none' | 'quarantine' | 'reject'
    /** 0 to 100. */
    pct?: number
    /** `mailto:` URIs, one address each, at most 10. */
    rua?: string[]
    ruf?: string[]
    adkim?: 'r' | 's'
    aspf?: 'r' | 's'
  }

  /** A mailing list on the mail server. */
  export interface MailingList {
    handle: string
    address: string
    recipients: string[]
  }

  /** A domain, alias, quota or list change: the write to make (or null) and the events. */
  export interface DomainChange {
    action: string
    patch: TenantPatch | null
    /** The list concerned, for list operations. */
    list: MailingList | null
    events: AuditEvent[]
  }

  /** An identity-provider operation of `SsoApps.inMemory()`, for faults and counts. */
  export type SsoOp = 'applications' | 'application' | 'bindings' | 'deleteBinding' | 'deleteApplication' | 'deleteProvider'

  /** An Authentik application. */
  export interface SsoApplication {
    pk: string
    slug: string
    name: string
    /** The OAuth2 provider's pk. */
    provider?: number | null
    launchUrl?: string | null
  }

  /** An application bound to the tenant's group, with that binding's uuid. */
  export interface BoundApp {
    application: SsoApplication
    bindingPk: string
  }

  /** A document of the control plane's `tenantSsoApps` collection (never a client secret). */
  export interface SsoAppRecord {
    _id?: ObjectIdLike
    id?: ObjectIdLike
    tenantId: ObjectIdLike
    name: string
    slug: string
    applicationPk: string
    providerPk: number
    clientId: string
    issuer: string
    redirectUris: string[]
    launchUrl?: string | null
  }

  /** One step of the composite delete. */
  export interface SsoAppStep {
    what: string
    handle: string
    outcome: 'removed' | 'absent' | 'failed' | 'not_reached'
  }

  /** A deleted SSO app: the steps, the filter of the record to delete, the events. */
  export interface SsoDeletion {
    steps: SsoAppStep[]
    deleteFilter: Record<string, unknown> | null
    events: AuditEvent[]
  }

  /** A partner to create (unknown keys refused). */
  export interface NewPartner {
    slug: string
    name: string
    domain?: string | null
    /** 0 to 100. */
    marginPct?: number | null
  }

  /** A created partner: the document to insert (`status: 'active'`) and the events. */
  export interface CreatedPartner {
    document: PartnerDocument
    events: AuditEvent[]
  }

  /** A partner write: to the partner document (terminate) or the tenant document (attach, detach). */
  export interface PartnerChange {
    action: string
    patch: TenantPatch
    events: AuditEvent[]
  }
}

/** Options of `auditCsv` and `auditCsvStream`. */
export interface AuditCsvOptions {
  /** Events encoded per chunk, 1 to 10000 (default 500). */
  batchSize?: number
}

/**
 * The CSV export of audit events (RFC 4180, CRLF, the header row first; cells a
 * spreadsheet would run as formulas prefixed with `'`), as an async generator of
 * text chunks. `events` is any iterable or async iterable (a driver cursor);
 * it is read only as chunks are taken, so any number of events exports in
 * constant memory. An event that is not one throws `DEZKY_INVALID_ARGUMENT`
 * naming its place (`events[3]`).
 */
export declare function auditCsv(
  events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>,
  options?: AuditCsvOptions | null,
): AsyncGenerator<string, void, undefined>

/** `auditCsv` as a web `ReadableStream` of UTF-8 bytes, read as it is pulled (a Nitro/h3 response body). */
export declare function auditCsvStream(
  events: Iterable<AuditEvent> | AsyncIterable<AuditEvent>,
  options?: AuditCsvOptions | null,
): ReadableStream<Uint8Array>

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
  readonly WEBHOOK_SIGNATURE: 'DEZKY_WEBHOOK_SIGNATURE'
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
  readonly ILLEGAL_TRANSITION: 'DEZKY_ILLEGAL_TRANSITION'
  readonly VERSION_CONFLICT: 'DEZKY_VERSION_CONFLICT'
  readonly TENANT_INACTIVE: 'DEZKY_TENANT_INACTIVE'
  readonly FORBIDDEN: 'DEZKY_FORBIDDEN'
  readonly WEBHOOK_SIGNATURE: 'DEZKY_WEBHOOK_SIGNATURE'
}

export type DezkyErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode]

/** An error as an HTTP answer (`toHttpError`). */
export interface HttpErrorAnswer {
  /** From the one table of docs/portal.md (`httpStatuses()`); 500 for an error that is not the SDK's. */
  status: number
  /** `code` and `message` of the error and its details (`field`, `retryAfterMs`, ...); `INTERNAL` for an error that is not the SDK's. */
  body: { code: string; message: string; details: Record<string, unknown> }
  /** `retry-after` (seconds) for a 429 or 503 whose error said how long to wait. */
  headers: { 'retry-after'?: string }
}

/** The HTTP answer of any thrown value: a `DezkyError` by its code, anything else a 500 saying nothing of it. */
export declare function toHttpError(error: unknown): HttpErrorAnswer

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
  /** What is wrong, in words (validation, token and authorization errors; why a webhook signature was refused, `DEZKY_WEBHOOK_SIGNATURE`). */
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
  /** The domain name or address concerned (`DEZKY_ALREADY_EXISTS`, `DEZKY_IN_USE` from `Domains`). */
  readonly target?: string
  /** Who has the name or address, when known (`DEZKY_ALREADY_EXISTS` from `Domains`). */
  readonly holder?: string
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
  /** The tenant's status when an action was refused (`DEZKY_ILLEGAL_TRANSITION`, `DEZKY_TENANT_INACTIVE`). */
  readonly fromStatus?: string
  /** The lifecycle action refused (`DEZKY_ILLEGAL_TRANSITION`). */
  readonly action?: string
  /** The tenant's ObjectId (`DEZKY_VERSION_CONFLICT`, `DEZKY_TENANT_INACTIVE`). */
  readonly tenant?: string
  /** The tenant's slug (`DEZKY_TENANT_INACTIVE`). */
  readonly slug?: string
  /** The document version (`__v`) the write expected; absent for a document without one (`DEZKY_VERSION_CONFLICT`). */
  readonly expectedVersion?: number
  /**
   * An upstream failure part-way: what a member operation (`Members`) undid or kept, or for
   * `Domains` and `SsoApps` the audit `action`, the `step` or `steps` reached, what was `undone`
   * (with `leftBehind` when undoing failed); with the audit `events` to record.
   */
  readonly failure?: import('../index').MemberFailure | Record<string, unknown>
}
