// Kotlin/JVM test of the UniFFI bindings: the shared conformance vectors
// (tests/conformance/flags.json), the control plane's domain rules (flag context,
// authorization), the pure part of the tenant lifecycle, security policy, branding,
// billing and the audit log, plus bad input to every exported function.
// No JUnit or Gradle: main() prints "N passed, N failed" and exits non-zero on a failure.
//
// Usage: java ... MainKt <path to tests/conformance/flags.json>

import java.io.File
import java.time.Instant
import kotlin.system.exitProcess
import uniffi.dezky_flags.Evaluation
import uniffi.dezky_flags.EvaluationContext
import uniffi.dezky_flags.Reason
import uniffi.dezky_uniffi.Actor
import uniffi.dezky_uniffi.DezkyException
import uniffi.dezky_uniffi.ErrorDetail
import uniffi.dezky_uniffi.LifecycleAction
import uniffi.dezky_uniffi.TenantStatus
import uniffi.dezky_uniffi.AuditQuery
import uniffi.dezky_uniffi.DmarcPolicy
import uniffi.dezky_uniffi.attachTenant
import uniffi.dezky_uniffi.createPartner
import uniffi.dezky_uniffi.detachTenant
import uniffi.dezky_uniffi.dmarcPolicyFromJson
import uniffi.dezky_uniffi.dmarcRecord
import uniffi.dezky_uniffi.terminatePartner
import uniffi.dezky_uniffi.BillingCycle
import uniffi.dezky_uniffi.Branding
import uniffi.dezky_uniffi.Colour
import uniffi.dezky_uniffi.MailTemplate
import uniffi.dezky_uniffi.MemberMfa
import uniffi.dezky_uniffi.MfaCompliance
import uniffi.dezky_uniffi.MfaMode
import uniffi.dezky_uniffi.SecurityPolicy
import uniffi.dezky_uniffi.SessionLimit
import uniffi.dezky_uniffi.auditCsvColumns
import uniffi.dezky_uniffi.auditEventsToCsv
import uniffi.dezky_uniffi.checkTemplate
import uniffi.dezky_uniffi.colourHex
import uniffi.dezky_uniffi.contrastRatio
import uniffi.dezky_uniffi.mailTemplateName
import uniffi.dezky_uniffi.mailTemplatePlaceholders
import uniffi.dezky_uniffi.marginBasisPoints
import uniffi.dezky_uniffi.meetsWcagAa
import uniffi.dezky_uniffi.mfaCompliance
import uniffi.dezky_uniffi.mfaModeName
import uniffi.dezky_uniffi.monthlyAmount
import uniffi.dezky_uniffi.mrr
import uniffi.dezky_uniffi.parseAuditTime
import uniffi.dezky_uniffi.parseColour
import uniffi.dezky_uniffi.parseMailTemplate
import uniffi.dezky_uniffi.readableOn
import uniffi.dezky_uniffi.updateSecurityPolicy
import uniffi.dezky_uniffi.applyTenantPatch
import uniffi.dezky_uniffi.newPendingTenant
import uniffi.dezky_uniffi.parseTenantSlug
import uniffi.dezky_uniffi.readyToActivate
import uniffi.dezky_uniffi.transitionTenant
import uniffi.dezky_uniffi.FlagSet
import uniffi.dezky_uniffi.Surface
import uniffi.dezky_uniffi.bucket
import uniffi.dezky_uniffi.bucketPrefix
import uniffi.dezky_uniffi.contextFromJson
import uniffi.dezky_uniffi.createFlag
import uniffi.dezky_uniffi.flagContext
import uniffi.dezky_uniffi.killSwitch
import uniffi.dezky_uniffi.openfeatureReason
import uniffi.dezky_uniffi.previewRollout
import uniffi.dezky_uniffi.reasonName
import uniffi.dezky_uniffi.requireCanForceLogout
import uniffi.dezky_uniffi.requireCanSuspend
import uniffi.dezky_uniffi.requireOperator
import uniffi.dezky_uniffi.requireOwnActiveRecord
import uniffi.dezky_uniffi.requirePartnerStaff
import uniffi.dezky_uniffi.requirePartnerTenant
import uniffi.dezky_uniffi.requirePlatformAdmin
import uniffi.dezky_uniffi.requireTenantAdmin
import uniffi.dezky_uniffi.requireTenantMember
import uniffi.dezky_uniffi.updateFlag

// ---------------------------------------------------------------------------
// A minimal JSON reader and writer, so the test needs no JSON jar and reads the
// conformance file independently of the Rust code under test.
// Objects become LinkedHashMap (order kept), arrays List, numbers Long or Double.

class Json(private val text: String) {
    private var pos = 0

    fun parseDocument(): Any? {
        val value = parseValue()
        skipWhitespace()
        require(pos == text.length) { "trailing data at $pos" }
        return value
    }

    private fun skipWhitespace() {
        while (pos < text.length && text[pos] in " \t\r\n") pos++
    }

    private fun expect(c: Char) {
        require(pos < text.length && text[pos] == c) { "expected '$c' at $pos" }
        pos++
    }

    private fun parseValue(): Any? {
        skipWhitespace()
        require(pos < text.length) { "unexpected end of JSON" }
        return when (text[pos]) {
            '{' -> parseObject()
            '[' -> parseArray()
            '"' -> parseString()
            't' -> literal("true", true)
            'f' -> literal("false", false)
            'n' -> literal("null", null)
            else -> parseNumber()
        }
    }

    private fun literal(word: String, value: Any?): Any? {
        require(text.startsWith(word, pos)) { "bad literal at $pos" }
        pos += word.length
        return value
    }

    private fun parseObject(): Map<String, Any?> {
        expect('{')
        val map = LinkedHashMap<String, Any?>()
        skipWhitespace()
        if (text[pos] == '}') { pos++; return map }
        while (true) {
            skipWhitespace()
            val key = parseString()
            skipWhitespace()
            expect(':')
            map[key] = parseValue()
            skipWhitespace()
            if (text[pos] == ',') { pos++; continue }
            expect('}')
            return map
        }
    }

    private fun parseArray(): List<Any?> {
        expect('[')
        val list = ArrayList<Any?>()
        skipWhitespace()
        if (text[pos] == ']') { pos++; return list }
        while (true) {
            list.add(parseValue())
            skipWhitespace()
            if (text[pos] == ',') { pos++; continue }
            expect(']')
            return list
        }
    }

    private fun parseString(): String {
        expect('"')
        val out = StringBuilder()
        while (true) {
            val c = text[pos++]
            when (c) {
                '"' -> return out.toString()
                '\\' -> {
                    val e = text[pos++]
                    when (e) {
                        'n' -> out.append('\n'); 't' -> out.append('\t'); 'r' -> out.append('\r')
                        'b' -> out.append('\b'); 'f' -> out.append('\u000c')
                        'u' -> { out.append(text.substring(pos, pos + 4).toInt(16).toChar()); pos += 4 }
                        else -> out.append(e) // \" \\ \/
                    }
                }
                else -> out.append(c)
            }
        }
    }

    private fun parseNumber(): Any {
        val start = pos
        while (pos < text.length && text[pos] in "+-0123456789.eE") pos++
        val s = text.substring(start, pos)
        require(s.isNotEmpty()) { "unexpected character at $start" }
        return if (s.any { it in ".eE" }) s.toDouble() else s.toLong()
    }

    companion object {
        fun parse(text: String): Any? = Json(text).parseDocument()

        fun write(value: Any?): String = StringBuilder().also { write(value, it) }.toString()

        private fun write(value: Any?, out: StringBuilder) {
            when (value) {
                null -> out.append("null")
                is Boolean, is Long, is Int -> out.append(value.toString())
                is Double -> out.append(value.toString())
                is String -> {
                    out.append('"')
                    for (c in value) {
                        when {
                            c == '"' -> out.append("\\\"")
                            c == '\\' -> out.append("\\\\")
                            c < ' ' -> out.append(String.format("\\u%04x", c.code))
                            else -> out.append(c)
                        }
                    }
                    out.append('"')
                }
                is Map<*, *> -> {
                    out.append('{')
                    value.entries.forEachIndexed { i, (k, v) ->
                        if (i > 0) out.append(',')
                        write(k as String, out); out.append(':'); write(v, out)
                    }
                    out.append('}')
                }
                is List<*> -> {
                    out.append('[')
                    value.forEachIndexed { i, v -> if (i > 0) out.append(','); write(v, out) }
                    out.append(']')
                }
                else -> error("cannot write ${value::class}")
            }
        }
    }
}

@Suppress("UNCHECKED_CAST")
fun Any?.obj(): Map<String, Any?> = this as Map<String, Any?>

@Suppress("UNCHECKED_CAST")
fun Any?.arr(): List<Any?> = this as List<Any?>

// ---------------------------------------------------------------------------
// The runner.

var passed = 0
var failed = 0

fun check(name: String, body: () -> Unit) {
    try {
        body()
        passed++
    } catch (t: Throwable) {
        failed++
        println("FAIL $name: $t")
    }
}

fun assertEq(expected: Any?, actual: Any?, what: String = "") {
    if (expected != actual) throw AssertionError("$what expected <$expected>, got <$actual>")
}

fun assertTrue(condition: Boolean, what: String) {
    if (!condition) throw AssertionError(what)
}

/** Runs [body] and returns the DezkyException it throws, of type [T] with [code]. */
inline fun <reified T : DezkyException> expectError(code: String, body: () -> Unit): T {
    try {
        body()
    } catch (e: DezkyException) {
        assertTrue(e is T, "expected ${T::class.simpleName}, got ${e::class.simpleName}: $e")
        assertEq(code, e.code(), "code")
        assertTrue(e.toString().isNotEmpty() && e.message?.isNotEmpty() == true, "message of $e")
        return e as T
    }
    throw AssertionError("expected ${T::class.simpleName} ($code), nothing was thrown")
}

fun contextOf(json: Map<String, Any?>): EvaluationContext = EvaluationContext(
    tenantId = json["tenantId"] as String?,
    tenantSlug = json["tenantSlug"] as String?,
    plan = json["plan"] as String?,
    partnerSlug = json["partnerSlug"] as String?,
    environment = json["environment"] as String?,
    userId = json["userId"] as String?,
)

val EMPTY_CONTEXT = contextOf(emptyMap())

// ---------------------------------------------------------------------------
// The conformance file.

fun conformance(doc: Map<String, Any?>) {
    for (v in doc["bucketVectors"].arr().map { it.obj() }) {
        val subject = v["subject"] as String
        val key = v["key"] as String
        check("bucket $subject:$key") {
            assertEq((v["bucket"] as Long).toInt(), bucket(subject, key).toInt(), "bucket")
            assertEq(v["prefix"] as String, String.format("%08x", bucketPrefix(subject, key).toLong()), "prefix")
        }
    }

    for (case in doc["cases"].arr().map { it.obj() }) {
        val name = case["name"] as String
        val set = FlagSet.fromJson(Json.write(case["flags"]))
        set.use {
            val keys = set.keys()
            case["contexts"].arr().forEachIndexed { i, entry ->
                val ctx = contextOf(entry.obj()["context"].obj())
                val all = set.evaluateAll(ctx)
                val detailed = set.evaluateAllDetailed(ctx).associateBy { it.key }
                check("$name [$i] evaluate_all keys") { assertEq(keys.toSet(), all.keys, "keys") }
                for ((key, exp) in entry.obj()["expected"].obj()) {
                    val want = exp.obj()
                    check("$name [$i] $key") {
                        val ev: Evaluation = set.evaluate(key, ctx)
                        assertEq(want["value"], ev.value, "value")
                        assertEq(want["reason"], reasonName(ev.reason), "reason")
                        assertEq(want["value"], all[key] ?: false, "evaluate_all value")
                        if (key in keys) assertEq(ev, detailed[key], "detailed")
                    }
                }
            }
        }
    }

    for (inv in doc["invalid"].arr().map { it.obj() }) {
        val name = inv["name"] as String
        check("invalid: $name") {
            try {
                FlagSet.fromJson(inv["json"] as String).destroy()
                throw AssertionError("accepted")
            } catch (e: DezkyException) {
                assertEq(inv["code"], e.code(), "code")
                if (inv.containsKey("flag") || inv.containsKey("field")) {
                    val flagError = e as? DezkyException.InvalidFlag
                        ?: throw AssertionError("expected InvalidFlag, got $e")
                    if (inv.containsKey("flag")) assertEq(inv["flag"], flagError.flag, "flag")
                    if (inv.containsKey("field")) assertEq(inv["field"], flagError.field, "field")
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Every exported function, with good and bad input.

const val ACTOR = "ops@dezky.example"
const val ROLLOUT = """{"key": "gdpr_export_v2", "description": "GDPR export", "state": "rollout", "pct": 25, "scope": {}, "owner": "team-a"}"""
const val TENANT = "6650f1c2a9b4e3d2c1b0a998" // bucket 12 for gdpr_export_v2

fun api() {
    check("FlagSet round trip keeps unknown fields") {
        FlagSet.fromJson("[$ROLLOUT]").use { set ->
            assertEq(listOf("gdpr_export_v2"), set.keys())
            assertEq(1UL, set.len())
            assertEq(false, set.isEmpty())
            assertTrue(set.toJson().contains("\"owner\":\"team-a\""), "unknown field kept: ${set.toJson()}")
            assertTrue(set.flagJson("gdpr_export_v2")?.contains("team-a") == true, "flagJson")
            assertEq(null, set.flagJson("nope"))
        }
    }
    check("evaluate: reason, bucket, OpenFeature mapping") {
        FlagSet.fromJson("[$ROLLOUT]").use { set ->
            val ev = set.evaluate("gdpr_export_v2", EMPTY_CONTEXT.copy(tenantId = TENANT))
            assertEq(Evaluation("gdpr_export_v2", true, Reason.IN_ROLLOUT, 12.toUByte(), false), ev)
            assertEq("SPLIT", openfeatureReason(ev.reason))
            val missing = set.evaluate("no_such_flag", EMPTY_CONTEXT)
            assertEq(Reason.FLAG_NOT_FOUND, missing.reason)
            assertEq(false, missing.value)
        }
    }
    check("reason names match the wire names") {
        assertEq(
            listOf("off", "on", "targeting_match", "not_targeted", "in_rollout", "out_of_rollout", "subject_missing", "flag_not_found"),
            Reason.values().map { reasonName(it) },
        )
    }
    check("withFlag / withoutFlag") {
        FlagSet.fromJson("[]").use { empty ->
            assertEq(true, empty.isEmpty())
            empty.withFlag(ROLLOUT).use { one ->
                assertEq(listOf("gdpr_export_v2"), one.keys())
                one.withoutFlag("gdpr_export_v2").use { assertEq(0UL, it.len()) }
            }
            assertEq(0UL, empty.len())
        }
    }
    check("contextFromJson") {
        assertEq(EMPTY_CONTEXT.copy(tenantId = "t", partnerSlug = "p"), contextFromJson("""{"tenantId": "t", "partnerSlug": "p"}"""))
    }
    check("createFlag") {
        val created = createFlag("new_billing_engine", "Billing v2", ACTOR)
        assertEq("flag.create", created.event.action)
        assertEq("success", created.event.outcome)
        assertEq(ACTOR, created.event.actorEmail)
        assertEq("new_billing_engine", created.event.targetId)
        assertEq(null, created.event.beforeJson)
        assertTrue(created.event.afterJson != null, "afterJson")
        val flag = Json.parse(created.flagJson).obj()
        assertEq("off", flag["state"])
        assertEq(1, flag["history"].arr().size)
    }
    check("killSwitch") {
        val killed = killSwitch(ROLLOUT, ACTOR)
        val flag = Json.parse(killed.flagJson).obj()
        assertEq("off", flag["state"])
        assertEq(0L, flag["pct"])
        assertEq("kill_switch", flag["history"].arr()[0].obj()["action"])
        assertEq("flag.kill_switch", killed.event.action)
        assertEq(25L, Json.parse(killed.event.beforeJson ?: "null").obj()["pct"])
        FlagSet.fromJson("[${killed.flagJson}]").use { set ->
            val ev = set.evaluate("gdpr_export_v2", EMPTY_CONTEXT.copy(tenantId = TENANT))
            assertEq(false, ev.value)
            assertEq(Reason.OFF, ev.reason)
            assertEq(true, ev.killed)
        }
    }
    check("updateFlag, and a no-op update") {
        val changed = updateFlag(ROLLOUT, """{"pct": 50}""", ACTOR) ?: throw AssertionError("no change")
        assertEq("flag.update", changed.event.action)
        assertEq(50L, Json.parse(changed.flagJson).obj()["pct"])
        assertEq(null, updateFlag(ROLLOUT, """{"pct": 25}""", ACTOR))
    }
    check("previewRollout agrees with evaluate") {
        val contexts = (0 until 200).map { EMPTY_CONTEXT.copy(tenantId = "tenant-$it") }
        val preview = previewRollout(ROLLOUT, contexts)
        FlagSet.fromJson("[$ROLLOUT]").use { set ->
            val expected = contexts.indices.filter { set.evaluate("gdpr_export_v2", contexts[it]).value }
            assertEq(expected.map { it.toULong() }, preview.enabled)
        }
        assertEq(200UL, preview.total)
        assertEq(preview.enabled.size.toULong(), preview.enabledCount)
        assertEq(0UL, previewRollout(ROLLOUT, emptyList()).total)
    }

    // Bad input: every call throws its typed exception and the process lives on.
    check("FlagSet.fromJson: not JSON") {
        val e = expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { FlagSet.fromJson("[{") }
        assertEq(1UL, e.line)
    }
    check("FlagSet.fromJson: empty string") {
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { FlagSet.fromJson("") }
    }
    check("FlagSet.fromJson: duplicate key") {
        val e = expectError<DezkyException.DuplicateKey>("DEZKY_DUPLICATE_FLAG") { FlagSet.fromJson("[$ROLLOUT, $ROLLOUT]") }
        assertEq("gdpr_export_v2", e.key)
    }
    check("withFlag: invalid flag") {
        FlagSet.fromJson("[]").use { set ->
            val e = expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { set.withFlag("""{"key": "a", "state": "rollout", "pct": 101}""") }
            assertEq("pct", e.field)
            expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { set.withFlag("nope") }
        }
    }
    check("withoutFlag: unknown key") {
        FlagSet.fromJson("[]").use { set ->
            val e = expectError<DezkyException.FlagNotFound>("DEZKY_FLAG_NOT_FOUND") { set.withoutFlag("missing") }
            assertEq("missing", e.key)
        }
    }
    check("contextFromJson: unknown field, wrong type, not JSON") {
        val e = expectError<DezkyException.InvalidContext>("DEZKY_INVALID_CONTEXT") { contextFromJson("""{"partnerslug": "x"}""") }
        assertEq("partnerslug", e.field)
        expectError<DezkyException.InvalidContext>("DEZKY_INVALID_CONTEXT") { contextFromJson("""{"tenantId": 7}""") }
        expectError<DezkyException.InvalidContext>("DEZKY_INVALID_CONTEXT") { contextFromJson("[]") }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { contextFromJson("{") }
    }
    check("createFlag: bad key, blank actor") {
        expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { createFlag("New-Billing", "", ACTOR) }
        val e = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") { createFlag("ok_key", "", "  ") }
        assertEq("actor", e.name)
    }
    check("killSwitch: not JSON, invalid flag, blank actor") {
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { killSwitch("{", ACTOR) }
        expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { killSwitch("""{"key": "a"}""", ACTOR) }
        expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") { killSwitch(ROLLOUT, "") }
    }
    check("updateFlag: bad update, forbidden field, not JSON, blank actor") {
        val e = expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { updateFlag(ROLLOUT, """{"pct": 101}""", ACTOR) }
        assertEq("pct", e.field)
        expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { updateFlag(ROLLOUT, """{"key": "b"}""", ACTOR) }
        expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { updateFlag(ROLLOUT, """{"state": "enabled"}""", ACTOR) }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { updateFlag(ROLLOUT, "nope", ACTOR) }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { updateFlag("nope", "{}", ACTOR) }
        expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") { updateFlag(ROLLOUT, "{}", " ") }
    }
    check("previewRollout: invalid flag, not JSON") {
        expectError<DezkyException.InvalidFlag>("DEZKY_INVALID_FLAG") { previewRollout("""{"key": "a", "state": "rollout", "pct": -1}""", listOf(EMPTY_CONTEXT)) }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { previewRollout("", listOf(EMPTY_CONTEXT)) }
    }
    check("bucket: odd input stays in 0..99") {
        for (s in listOf("", ":", "\u0000", "ünïcödé 🚩", "x".repeat(10_000))) {
            assertTrue(bucket(s, s).toInt() in 0..99, "bucket of ${s.take(10)}")
        }
    }
    check("a destroyed FlagSet throws instead of crashing") {
        val set = FlagSet.fromJson("[]")
        set.destroy()
        try {
            set.keys()
            throw AssertionError("call on a destroyed object succeeded")
        } catch (e: IllegalStateException) {
            // expected
        }
    }
}

// ---------------------------------------------------------------------------
// The control plane's domain rules: flag context and authorization.

const val T1 = "6650f1c2a9b4e3d2c1b0a901"
const val T2 = "6650f1c2a9b4e3d2c1b0a902"
const val P1 = "6650f1c2a9b4e3d2c1b0a9a1"
const val P2 = "6650f1c2a9b4e3d2c1b0a9a2"
const val SUB = "ak-subject-1"

val ACME = """{"_id": {"${'$'}oid": "$T1"}, "slug": "acme", "plan": "pro", "partnerId": {"${'$'}oid": "$P1"}}"""
val SOLO = """{"_id": "$T2", "slug": "solo", "plan": "free"}"""
val RESELLER = """{"_id": {"${'$'}oid": "$P1"}, "slug": "reseller"}"""
val OTHER_PARTNER = """{"id": "$P2", "slug": "other"}"""

val PORTAL = Actor(SUB, Surface.PORTAL)
val OPERATOR = Actor(SUB, Surface.OPERATOR)

/** A user document of [subject] with the extra JSON members [fields]. */
fun user(fields: String = "", id: String = "6650f1c2a9b4e3d2c1b0a9b1", subject: String = SUB): String =
    """{"_id": {"${'$'}oid": "$id"}, "authentikSubjectId": "$subject"${if (fields.isEmpty()) "" else ", $fields"}}"""

val ADMIN = user(""""platformAdmin": true""")
val PLAIN = user()
val MEMBER = user(""""tenantIds": [{"${'$'}oid": "$T1"}], "tenantRoles": {"$T1": "member"}""")
val TENANT_ADMIN = user(""""tenantIds": [{"${'$'}oid": "$T1"}], "tenantRoles": [{"tenantId": {"${'$'}oid": "$T1"}, "role": "admin"}]""")
val GLOBAL_ROLE_ADMIN = user(""""tenantIds": ["$T1"], "role": "admin"""")
val STAFF = user(""""partnerId": {"${'$'}oid": "$P1"}""")
val INACTIVE_ADMIN = user(""""platformAdmin": true, "active": false""")
val SOMEONE_ELSE = user(""""tenantIds": ["$T1"]""", "6650f1c2a9b4e3d2c1b0a9b2", "ak-subject-2")
val ELSE_ADMIN = user(""""tenantIds": ["$T1"], "platformAdmin": true""", "6650f1c2a9b4e3d2c1b0a9b3", "ak-subject-3")
val OUTSIDER = user(""""tenantIds": ["$T2"]""", "6650f1c2a9b4e3d2c1b0a9b4", "ak-subject-4")

fun domain() {
    check("flagContext with a partner") {
        assertEq(
            EvaluationContext(tenantId = T1, tenantSlug = "acme", plan = "pro", partnerSlug = "reseller", environment = "production", userId = null),
            flagContext(ACME, RESELLER, "production"),
        )
    }
    check("flagContext without a partner") {
        assertEq(
            EvaluationContext(tenantId = T2, tenantSlug = "solo", plan = "free", partnerSlug = null, environment = "staging", userId = null),
            flagContext(SOLO, null, "staging"),
        )
    }
    check("flagContext reads {\$oid} and plain ids alike") {
        val plain = """{"id": "$T1", "slug": "acme", "plan": "pro", "partnerId": "$P1"}"""
        assertEq(flagContext(ACME, RESELLER, "p"), flagContext(plain, """{"_id": "$P1", "slug": "reseller"}""", "p"))
    }
    val invalid = listOf(
        Triple("wrong partner", "partner") { flagContext(ACME, OTHER_PARTNER, "p") },
        Triple("missing partner", "partner") { flagContext(ACME, null, "p") },
        Triple("partner of a tenant without one", "partner") { flagContext(SOLO, RESELLER, "p") },
        Triple("bad tenant id", "tenant.id") { flagContext("""{"_id": "nope", "slug": "a", "plan": "b"}""", null, "p") },
        Triple("slug not a string", "tenant.slug") { flagContext("""{"_id": "$T2", "slug": 7, "plan": "b"}""", null, "p") },
        Triple("slug missing", "tenant.slug") { flagContext("""{"_id": "$T2", "plan": "b"}""", null, "p") },
        Triple("no id", "tenant.id") { flagContext("""{"slug": "a", "plan": "b"}""", null, "p") },
        Triple("blank environment", "environment") { flagContext(SOLO, null, " ") },
        Triple("tenant not an object", "tenant") { flagContext("[]", null, "p") },
        Triple("partner not an object", "partner") { flagContext(ACME, "\"reseller\"", "p") },
    )
    for ((name, field, call) in invalid) {
        check("flagContext: $name") {
            val e = expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") { call() }
            assertEq(field, e.field, "field")
            assertTrue(e.reason.isNotEmpty() && e.detail.contains(field), "detail of $e")
        }
    }
    check("flagContext: not JSON") {
        val e = expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { flagContext("{", null, "p") }
        assertTrue(e.detail.contains("tenant"), "detail names the record: ${e.detail}")
    }

    // name, call, allowed
    val authz = listOf<Triple<String, () -> Unit, Boolean>>(
        Triple("own record: own and active", { requireOwnActiveRecord(PORTAL, PLAIN) }, true),
        Triple("own record: another subject's", { requireOwnActiveRecord(PORTAL, SOMEONE_ELSE) }, false),
        Triple("own record: inactive", { requireOwnActiveRecord(PORTAL, INACTIVE_ADMIN) }, false),
        Triple("operator: operator surface and platformAdmin", { requireOperator(OPERATOR, ADMIN) }, true),
        Triple("operator: portal surface", { requireOperator(PORTAL, ADMIN) }, false),
        Triple("operator: not platformAdmin", { requireOperator(OPERATOR, PLAIN) }, false),
        Triple("operator: inactive", { requireOperator(OPERATOR, INACTIVE_ADMIN) }, false),
        Triple("operator: another subject's record", { requireOperator(OPERATOR, ELSE_ADMIN) }, false),
        Triple("platform admin: portal surface", { requirePlatformAdmin(PORTAL, ADMIN) }, true),
        Triple("platform admin: not one", { requirePlatformAdmin(PORTAL, MEMBER) }, false),
        Triple("tenant member: member", { requireTenantMember(PORTAL, MEMBER, ACME) }, true),
        Triple("tenant member: non-member", { requireTenantMember(PORTAL, MEMBER, SOLO) }, false),
        Triple("tenant member: platform admin", { requireTenantMember(PORTAL, ADMIN, SOLO) }, true),
        Triple("tenant member: inactive", { requireTenantMember(PORTAL, user(""""tenantIds": ["$T1"], "active": false"""), ACME) }, false),
        Triple("tenant admin: via tenantRoles", { requireTenantAdmin(PORTAL, TENANT_ADMIN, ACME) }, true),
        Triple("tenant admin: member role", { requireTenantAdmin(PORTAL, MEMBER, ACME) }, false),
        Triple("tenant admin: legacy global role", { requireTenantAdmin(PORTAL, GLOBAL_ROLE_ADMIN, ACME) }, false),
        Triple("tenant admin: admin of another tenant", { requireTenantAdmin(PORTAL, TENANT_ADMIN, SOLO) }, false),
        Triple("tenant admin: platform admin", { requireTenantAdmin(PORTAL, ADMIN, ACME) }, true),
        Triple("partner staff: own partner", { requirePartnerStaff(PORTAL, STAFF, RESELLER) }, true),
        Triple("partner staff: other partner", { requirePartnerStaff(PORTAL, STAFF, OTHER_PARTNER) }, false),
        Triple("partner staff: platform admin is not staff", { requirePartnerStaff(PORTAL, ADMIN, RESELLER) }, false),
        Triple("partner tenant: own tenant", { requirePartnerTenant(PORTAL, STAFF, RESELLER, ACME) }, true),
        Triple("partner tenant: tenant without partner", { requirePartnerTenant(PORTAL, STAFF, RESELLER, SOLO) }, false),
        Triple("partner tenant: another partner's tenant", { requirePartnerTenant(PORTAL, user(""""partnerId": "$P2""""), OTHER_PARTNER, ACME) }, false),
        Triple("suspend: tenant admin, a member", { requireCanSuspend(PORTAL, TENANT_ADMIN, ACME, SOMEONE_ELSE) }, true),
        Triple("suspend: oneself", { requireCanSuspend(PORTAL, TENANT_ADMIN, ACME, TENANT_ADMIN) }, false),
        Triple("suspend: not a tenant admin", { requireCanSuspend(PORTAL, MEMBER, ACME, SOMEONE_ELSE) }, false),
        Triple("suspend: target outside the tenant", { requireCanSuspend(PORTAL, TENANT_ADMIN, ACME, OUTSIDER) }, false),
        Triple("suspend: a platform admin, by a tenant admin", { requireCanSuspend(PORTAL, TENANT_ADMIN, ACME, ELSE_ADMIN) }, false),
        Triple("suspend: a platform admin, by a platform admin", { requireCanSuspend(PORTAL, ADMIN, ACME, ELSE_ADMIN) }, true),
        Triple("force logout: tenant admin, a member", { requireCanForceLogout(PORTAL, TENANT_ADMIN, ACME, SOMEONE_ELSE) }, true),
        Triple("force logout: oneself", { requireCanForceLogout(PORTAL, TENANT_ADMIN, ACME, TENANT_ADMIN) }, false),
        Triple("force logout: inactive admin", { requireCanForceLogout(PORTAL, INACTIVE_ADMIN, ACME, SOMEONE_ELSE) }, false),
    )
    for ((name, call, allowed) in authz) {
        check("authz: $name") {
            if (allowed) {
                call()
            } else {
                val e = expectError<DezkyException.Forbidden>("DEZKY_FORBIDDEN") { call() }
                assertTrue(e.reason.isNotEmpty() && e.detail.contains(e.reason), "reason of $e")
            }
        }
    }

    check("authz: bad JSON input") {
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { requireOperator(OPERATOR, "{") }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { requirePlatformAdmin(PORTAL, "") }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { requireTenantMember(PORTAL, MEMBER, "nope") }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { requireCanSuspend(PORTAL, TENANT_ADMIN, ACME, "{") }
    }
    check("authz: bad records name the field") {
        val cases = listOf<Pair<String, () -> Unit>>(
            "user" to { requireOperator(OPERATOR, "[]") },
            "user.authentikSubjectId" to { requireOwnActiveRecord(PORTAL, """{"_id": "$T1"}""") },
            "user" to { requireTenantMember(PORTAL, user(""""tenantIds": "x""""), ACME) },
            "tenant.id" to { requireTenantAdmin(PORTAL, MEMBER, """{"slug": "x"}""") },
            "partner" to { requirePartnerStaff(PORTAL, STAFF, "\"p\"") },
            "partner.id" to { requirePartnerTenant(PORTAL, STAFF, """{"slug": "p"}""", ACME) },
            "target.authentikSubjectId" to { requireCanForceLogout(PORTAL, TENANT_ADMIN, ACME, """{"_id": "$T1"}""") },
        )
        for ((field, call) in cases) {
            val e = expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") { call() }
            assertEq(field, e.field, "field")
        }
    }
}

// ---------------------------------------------------------------------------
// The tenant lifecycle (docs/lifecycle.md).

const val TID = "6650f1c2a9b4e3d2c1b0a998"
const val OPS = "ops@dezky.eu"
val AT: Instant = Instant.ofEpochSecond(1_700_000_000)
const val STAMP = "2023-11-14T22:13:20.000Z"
val SETTLED = mapOf("authentik" to "ok", "stalwart" to "ok", "ocis" to "ok", "stripe" to "ok", "onboarding" to "skipped")

/** A tenant document of [status] at [version] (none when null). */
fun tenantDoc(status: String, version: Long? = 2): String =
    Json.write(linkedMapOf<String, Any?>("_id" to TID, "slug" to "acme", "status" to status).also { if (version != null) it["__v"] = version })

fun text(e: DezkyException, name: String): Any? = when (val d = e.details()[name]) {
    is ErrorDetail.Text -> d.value
    is ErrorDetail.Integer -> d.value
    null -> null
    else -> d
}

fun DezkyException.details(): Map<String, ErrorDetail> = when (this) {
    is DezkyException.IllegalTransition -> details
    is DezkyException.VersionConflict -> details
    is DezkyException.TenantInactive -> details
    is DezkyException.Invalid -> details
    is DezkyException.InvalidArgument -> details
    is DezkyException.MalformedJson -> details
    else -> emptyMap()
}

/** One step of a tenant's life: the action, the statuses, and the patch's `$set` and `$unset`. */
data class LifecycleStep(val action: LifecycleAction, val from: TenantStatus, val to: TenantStatus, val set: Map<String, Any?>, val unset: Map<String, Any?>?)

fun lifecycle() {
    check("parseTenantSlug returns a good slug") { assertEq("nordic-it-2", parseTenantSlug("nordic-it-2")) }
    for (bad in listOf("a", "Acme", "acme.io", "2acme", "acme-", "ac--me", "dezky", "dezky-platform-admins", "admin", "")) {
        check("parseTenantSlug refuses \"$bad\"") {
            val e = expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") { parseTenantSlug(bad) }
            assertEq("slug", e.field, "field")
            assertEq("slug", e.argument, "argument")
            assertTrue(e.reason.isNotEmpty() && e.detail.contains(e.reason), "reason of $e")
        }
    }
    check("newPendingTenant: pending at version 0") {
        val doc = Json.parse(newPendingTenant(TID, "acme", "Acme Co", "business")).obj()
        assertEq(TID, doc["_id"], "_id")
        assertEq("pending", doc["status"], "status")
        assertEq(0L, doc["__v"], "__v")
        assertEq("Acme Co", doc["name"], "name")
        assertEq("business", doc["plan"], "plan")
        assertEq(false, readyToActivate(Json.write(doc)), "ready")
    }
    for ((field, call) in listOf<Pair<String, () -> Unit>>(
        "tenant.slug" to { newPendingTenant(TID, "dezky", "Acme", "pro") },
        "tenant.id" to { newPendingTenant("nope", "acme", "Acme", "pro") },
        "tenant.name" to { newPendingTenant(TID, "acme", " ", "pro") },
        "tenant.plan" to { newPendingTenant(TID, "acme", "Acme", "") },
    )) {
        check("newPendingTenant refuses a bad $field") {
            assertEq(field, expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") { call() }.field, "field")
        }
    }

    check("lifecycle: pending -> active -> suspended -> active -> deleted") {
        val start = Json.parse(newPendingTenant(TID, "acme", "Acme Co", "business")).obj().toMutableMap()
        start["provisioningStatus"] = SETTLED
        var doc = Json.write(start)
        assertEq(true, readyToActivate(doc), "ready")
        val steps = listOf(
            LifecycleStep(LifecycleAction.ACTIVATE, TenantStatus.PENDING, TenantStatus.ACTIVE, mapOf("status" to "active"), null),
            LifecycleStep(LifecycleAction.SUSPEND, TenantStatus.ACTIVE, TenantStatus.SUSPENDED, mapOf("status" to "suspended", "suspendedAt" to STAMP), null),
            LifecycleStep(LifecycleAction.RESUME, TenantStatus.SUSPENDED, TenantStatus.ACTIVE, mapOf("status" to "active"), mapOf("suspendedAt" to "")),
            LifecycleStep(LifecycleAction.DELETE, TenantStatus.ACTIVE, TenantStatus.DELETED, mapOf("status" to "deleted", "deletedAt" to STAMP), null),
        )
        steps.forEachIndexed { version, step ->
            val t = transitionTenant(doc, step.action, OPS, AT)
            assertEq(Triple(step.action, step.from, step.to), Triple(t.action, t.fromStatus, t.toStatus), "transition")
            val patch = Json.parse(t.patchJson).obj()
            assertEq(TID, patch["tenantId"], "tenantId")
            assertEq(version.toLong(), patch["expectedVersion"], "expectedVersion")
            assertEq(mapOf("_id" to mapOf("\$oid" to TID), "__v" to version.toLong()), patch["filter"], "filter")
            val update = patch["update"].obj()
            assertEq(step.set, update["\$set"], "\$set of ${step.action}")
            assertEq(step.unset, update["\$unset"], "\$unset of ${step.action}")
            assertEq(mapOf("__v" to 1L), update["\$inc"], "\$inc")
            val event = Json.parse(t.eventJson).obj()
            assertEq("tenant.${step.action.name.lowercase()}", event["action"], "event action")
            assertEq("success", event["outcome"], "outcome")
            assertEq(OPS, event["actorEmail"], "actorEmail")
            assertEq(STAMP, event["at"], "at")
            assertEq("acme", event["targetId"], "targetId")
            assertEq(TID, event["tenantId"], "tenantId")
            assertEq(mapOf("from" to step.from.name.lowercase(), "to" to step.to.name.lowercase()), event["metadata"], "metadata")
            doc = applyTenantPatch(doc, t.patchJson)
            val stored = Json.parse(doc).obj()
            assertEq(step.to.name.lowercase(), stored["status"], "stored status")
            assertEq(version + 1L, stored["__v"], "stored version")
            assertEq(step.to == TenantStatus.SUSPENDED, stored.containsKey("suspendedAt"), "suspendedAt present")
        }
        assertEq(STAMP, Json.parse(doc).obj()["deletedAt"], "deletedAt")
    }
    check("lifecycle: deprovision stamps a deleted tenant") {
        val t = transitionTenant(tenantDoc("deleted"), LifecycleAction.DEPROVISION, OPS, AT)
        assertEq(TenantStatus.DELETED, t.toStatus, "to")
        assertEq(mapOf("status" to "deleted", "deprovisionedAt" to STAMP), Json.parse(t.patchJson).obj()["update"].obj()["\$set"], "\$set")
    }
    for ((status, action) in listOf(
        "deleted" to LifecycleAction.RESUME, "pending" to LifecycleAction.SUSPEND,
        "active" to LifecycleAction.ACTIVATE, "active" to LifecycleAction.DEPROVISION,
    )) {
        check("lifecycle: $action from $status is illegal") {
            val e = expectError<DezkyException.IllegalTransition>("DEZKY_ILLEGAL_TRANSITION") {
                transitionTenant(tenantDoc(status), action, OPS, AT)
            }
            assertEq(status, e.fromStatus, "fromStatus")
            assertEq(action.name.lowercase(), e.action, "action")
            assertEq(status, text(e, "from_status"), "details.from_status")
            assertEq(e.action, text(e, "action"), "details.action")
        }
    }
    check("lifecycle: activation waits for every step") {
        val e = expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") {
            transitionTenant(newPendingTenant(TID, "acme", "Acme", "pro"), LifecycleAction.ACTIVATE, OPS, AT)
        }
        assertEq("tenant.provisioningStatus", e.field, "field")
        assertTrue(e.reason.endsWith("authentik, stalwart, ocis, stripe, onboarding"), e.reason)
    }
    check("lifecycle: the stale patch is a version conflict and changes nothing") {
        val doc = tenantDoc("active", 4)
        val first = transitionTenant(doc, LifecycleAction.SUSPEND, OPS, AT)
        val second = transitionTenant(doc, LifecycleAction.DELETE, OPS, AT)
        val written = applyTenantPatch(doc, first.patchJson)
        val e = expectError<DezkyException.VersionConflict>("DEZKY_VERSION_CONFLICT") { applyTenantPatch(written, second.patchJson) }
        assertEq(TID, e.tenant, "tenant")
        assertEq(4uL, e.expectedVersion, "expectedVersion")
        assertEq(4L, text(e, "expected_version"), "details.expected_version")
        assertEq("suspended", Json.parse(written).obj()["status"], "the first write stays")
    }
    check("lifecycle: a conflict on a document without a version has no expectedVersion") {
        val t = transitionTenant(tenantDoc("active", null), LifecycleAction.SUSPEND, OPS, AT)
        val e = expectError<DezkyException.VersionConflict>("DEZKY_VERSION_CONFLICT") { applyTenantPatch(tenantDoc("active", 1), t.patchJson) }
        assertEq(null, e.expectedVersion, "expectedVersion")
        assertTrue(!e.details.containsKey("expected_version"), "expected_version absent from ${e.details}")
    }
    check("lifecycle: a member of a suspended tenant is TenantInactive") {
        val member = """{"_id": "6650f1c2a9b4e3d2c1b0a9b1", "authentikSubjectId": "ak-1", "tenantIds": ["$TID"]}"""
        val e = expectError<DezkyException.TenantInactive>("DEZKY_TENANT_INACTIVE") {
            requireTenantMember(Actor("ak-1", Surface.PORTAL), member, tenantDoc("suspended"))
        }
        assertEq(Triple(TID, "acme", "suspended"), Triple(e.tenant, e.slug, e.fromStatus), "fields")
        assertEq("acme", text(e, "slug"), "details.slug")
    }
    check("lifecycle: malformed documents are MalformedJson") {
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { transitionTenant("{", LifecycleAction.DELETE, OPS, AT) }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { readyToActivate("") }
        expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { applyTenantPatch(tenantDoc("active"), "{") }
    }
    check("lifecycle: bad documents and patches name the field") {
        val cases = listOf<Pair<String, () -> Unit>>(
            "tenant" to { readyToActivate("[]") },
            "tenant.id" to { transitionTenant("""{"slug": "acme", "status": "active"}""", LifecycleAction.SUSPEND, OPS, AT) },
            "tenant.status" to { transitionTenant(tenantDoc("archived"), LifecycleAction.DELETE, OPS, AT) },
            "tenant.provisioningStatus.backup" to { readyToActivate("""{"_id": "$TID", "slug": "a1", "status": "pending", "provisioningStatus": {"backup": "ok"}}""") },
            "tenant.__v" to { applyTenantPatch("""{"_id": "$TID", "slug": "acme", "status": "active", "__v": "1"}""", "{}") },
            "patch.tenantId" to { applyTenantPatch(tenantDoc("active"), "{}") },
            "patch.update.\$rename" to { applyTenantPatch(tenantDoc("active"), """{"tenantId": "$TID", "expectedVersion": 2, "update": {"${'$'}rename": {"a": "b"}}}""") },
            "patch.expectedVersion" to { applyTenantPatch(tenantDoc("active"), """{"tenantId": "$TID", "expectedVersion": -1}""") },
        )
        for ((field, call) in cases) {
            assertEq(field, expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") { call() }.field, "field")
        }
    }
    check("lifecycle: a blank actor and a time before 1970 are refused") {
        val actor = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") {
            transitionTenant(tenantDoc("active"), LifecycleAction.SUSPEND, " ", AT)
        }
        assertEq("actor", actor.argument, "argument")
        val at = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") {
            transitionTenant(tenantDoc("active"), LifecycleAction.SUSPEND, OPS, Instant.ofEpochSecond(-1))
        }
        assertEq("at", at.argument, "argument")
        val late = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") {
            transitionTenant(tenantDoc("active"), LifecycleAction.SUSPEND, OPS, Instant.parse("+10000-01-01T00:00:00Z"))
        }
        assertEq("at", late.argument, "argument")
    }
}

// ---------------------------------------------------------------------------
// Security policy (docs/policy.md), branding (docs/branding.md), billing
// (docs/billing.md) and the audit log (docs/audit.md).

/** Checks that each call throws `Invalid` naming its field. */
fun invalidFields(what: String, cases: List<Pair<String, () -> Unit>>) {
    for ((field, call) in cases) {
        check("$what: bad input names $field") {
            val e = expectError<DezkyException.Invalid>("DEZKY_INVALID_ARGUMENT") { call() }
            assertEq(field, e.field, "field")
            assertEq(field, text(e, "field"), "details.field")
            assertTrue(e.reason.isNotEmpty() && e.detail.contains(e.reason), "reason of $e")
        }
    }
}

fun malformed(what: String, calls: List<() -> Unit>) {
    check("$what: text that is not JSON is MalformedJson") {
        for (call in calls) expectError<DezkyException.MalformedJson>("DEZKY_MALFORMED_JSON") { call() }
    }
}

const val POLICY_JSON = """{"mfaMode": "admins", "sessionIdleMinutes": 30, "sessionAbsoluteHours": 12, "allowedCountries": ["se", "DK", "dk"], "ipAllowlist": ["192.0.2.77/24", "2001:db8::1"]}"""
val T0: Instant = Instant.parse("2026-01-01T09:00:00Z")

fun policyTenant(policy: String? = null): String =
    """{"_id": "$TID", "slug": "acme", "status": "active", "__v": 3${if (policy == null) "" else ", \"securityPolicy\": $policy"}}"""

fun policy() {
    check("SecurityPolicy.fromJson normalises") {
        val p = SecurityPolicy.fromJson(POLICY_JSON)
        assertEq(MfaMode.ADMINS, p.mfaMode(), "mfaMode")
        assertEq(30u, p.sessionIdleMinutes(), "idle")
        assertEq(12u, p.sessionAbsoluteHours(), "absolute")
        assertEq(listOf("DK", "SE"), p.allowedCountries(), "countries")
        assertEq(listOf("192.0.2.0/24", "2001:db8::1/128"), p.ipAllowlist(), "allowlist")
        assertEq(listOf("DK", "SE"), Json.parse(p.toJson()).obj()["allowedCountries"], "toJson")
        assertEq("admins", mfaModeName(p.mfaMode()), "mfaModeName")
    }
    check("SecurityPolicy.ofTenant: the defaults without one, the stored one otherwise") {
        val d = SecurityPolicy.ofTenant(policyTenant())
        assertEq(Triple(MfaMode.OPTIONAL, 60u, 24u), Triple(d.mfaMode(), d.sessionIdleMinutes(), d.sessionAbsoluteHours()), "defaults")
        assertEq(true, d.ipAllowed("203.0.113.9"), "any address")
        assertEq(true, d.countryAllowed(null), "any country")
        assertEq(MfaMode.ADMINS, SecurityPolicy.ofTenant(policyTenant(POLICY_JSON)).mfaMode(), "stored")
    }
    check("SecurityPolicy: addresses and countries") {
        val p = SecurityPolicy.fromJson(POLICY_JSON)
        assertEq(true, p.ipAllowed("192.0.2.200"), "in the network")
        assertEq(true, p.ipAllowed("::ffff:192.0.2.1"), "IPv4 as IPv6")
        assertEq(false, p.ipAllowed("198.51.100.1"), "outside")
        assertEq(true, p.countryAllowed("se"), "se")
        assertEq(false, p.countryAllowed("NO"), "NO")
        assertEq(false, p.countryAllowed(null), "unknown origin fails closed")
    }
    check("SecurityPolicy: sessions end at the earlier limit") {
        val p = SecurityPolicy.fromJson(POLICY_JSON)
        fun m(n: Long) = T0.plusSeconds(n * 60)
        assertEq(m(40), p.sessionEnds(T0, m(10)), "idle first")
        assertEq(m(720), p.sessionEnds(T0, m(700)), "absolute first")
        assertEq(null, p.sessionExpired(T0, m(10), m(39)), "alive")
        assertEq(SessionLimit.IDLE, p.sessionExpired(T0, m(10), m(40)), "idle")
        assertEq(SessionLimit.ABSOLUTE, p.sessionExpired(T0, m(719), m(720)), "absolute")
    }
    check("mfaCompliance counts and lists the missing in order") {
        val members = listOf(MemberMfa("ann@acme.test", true, 0u), MemberMfa("bo@acme.test", false, 0u), MemberMfa("cy@acme.test", true, 2u))
        assertEq(MfaCompliance(MfaMode.ADMINS, 3u, 1u, 2u, listOf("ann@acme.test"), false), mfaCompliance(MfaMode.ADMINS, members), "admins")
        assertEq(listOf("ann@acme.test", "bo@acme.test"), SecurityPolicy.fromJson("""{"mfaMode": "required"}""").mfaCompliance(members).missing, "required")
        assertEq(true, mfaCompliance(MfaMode.OFF, members).compliant, "off")
    }
    check("updateSecurityPolicy: the policy, the patch and the event") {
        val u = updateSecurityPolicy(policyTenant(), """{"mfaMode": "required", "sessionIdleMinutes": 60}""", OPS, T0)
        assertEq(listOf("mfaMode"), u.changed, "changed")
        val patch = Json.parse(u.patchJson).obj()
        assertEq(3L, patch["expectedVersion"], "expectedVersion")
        assertEq(Json.parse(u.policyJson), patch["update"].obj()["\$set"].obj()["securityPolicy"], "\$set")
        val event = Json.parse(u.eventJson).obj()
        assertEq("tenant.security_policy.update", event["action"], "action")
        assertEq("2026-01-01T09:00:00.000Z", event["at"], "at")
        assertEq(mapOf("changed" to listOf("mfaMode"), "before" to mapOf("mfaMode" to "optional"), "after" to mapOf("mfaMode" to "required")), event["metadata"], "metadata")
        val stored = Json.parse(applyTenantPatch(policyTenant(), u.patchJson)).obj()
        assertEq("required", stored["securityPolicy"].obj()["mfaMode"], "stored")
        assertEq(4L, stored["__v"], "__v")
        assertEq(null, Json.parse(updateSecurityPolicy(policyTenant(), "{}", OPS, T0).patchJson).obj()["update"], "no change, no write")
    }
    val empty = SecurityPolicy.fromJson("{}")
    invalidFields("policy", listOf(
        "securityPolicy.mfaMode" to { SecurityPolicy.fromJson("""{"mfaMode": "always"}""") },
        "securityPolicy.mfa" to { SecurityPolicy.fromJson("""{"mfa": "off"}""") },
        "securityPolicy.allowedCountries[1]" to { SecurityPolicy.fromJson("""{"allowedCountries": ["DK", "EU"]}""") },
        "securityPolicy.ipAllowlist[0]" to { SecurityPolicy.fromJson("""{"ipAllowlist": ["10.0.0.0/33"]}""") },
        "securityPolicy" to { SecurityPolicy.fromJson("[]") },
        "tenant.securityPolicy.sessionIdleMinutes" to { SecurityPolicy.ofTenant(policyTenant("""{"sessionIdleMinutes": 2000}""")) },
        "ip" to { empty.ipAllowed("192.0.2") },
        "country" to { empty.countryAllowed("XX") },
        "lastActive" to { empty.sessionExpired(T0, T0.minusSeconds(1), T0) },
        "securityPolicy.sessionAbsoluteHours" to { updateSecurityPolicy(policyTenant(), """{"sessionIdleMinutes": 1440, "sessionAbsoluteHours": 1}""", OPS, T0) },
    ))
    malformed("policy", listOf({ SecurityPolicy.fromJson("{") }, { SecurityPolicy.ofTenant("") }, { updateSecurityPolicy(policyTenant(), "{", OPS, T0) }))
    check("policy: times out of range and a blank actor are InvalidArgument") {
        val far = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") { empty.sessionEnds(T0, Instant.MAX) }
        assertEq("lastActive", far.argument, "argument")
        val early = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") { empty.sessionExpired(Instant.ofEpochSecond(-1), T0, T0) }
        assertEq("started", early.argument, "argument")
        val actor = expectError<DezkyException.InvalidArgument>("DEZKY_INVALID_ARGUMENT") { updateSecurityPolicy(policyTenant(), "{}", "", T0) }
        assertEq("actor", actor.argument, "argument")
    }
}

val BLACK = Colour(0u, 0u, 0u)
val WHITE = Colour(255u, 255u, 255u)
const val BRANDING_JSON = """{"productName": " Acme Cloud ", "accentColor": "#1E40AF", "emailTemplates": {"member_welcome": {"subject": "Hi {{ memberName }}, welcome to {{productName}}"}}}"""
val MEMBER_VALUES = mapOf("tenantName" to "Acme & Co", "memberName" to "Jo <b>\r\nBcc: x@evil.test", "memberEmail" to "jo@acme.test",
    "loginUrl" to "https://acme.test/login?a=1&b=2", "oneTimePassword" to "p'w\"d")

fun branding() {
    check("Branding.fromJson normalises") {
        val b = Branding.fromJson(BRANDING_JSON)
        assertEq("Acme Cloud", b.productName(), "productName")
        assertEq(Colour(0x1eu, 0x40u, 0xafu), b.accentColor(), "accentColor")
        assertEq("#1e40af", Json.parse(b.toJson()).obj()["accentColor"], "toJson")
        val d = Branding.fromJson("{}")
        assertEq("Dezky" to "#2563eb", d.productName() to colourHex(d.accentColor()), "defaults")
    }
    check("Branding.render escapes the HTML and flattens the subject") {
        val mail = Branding.fromJson(BRANDING_JSON).render(MailTemplate.MEMBER_WELCOME, MEMBER_VALUES)
        assertEq("Hi Jo <b>  Bcc: x@evil.test, welcome to Acme Cloud", mail.subject, "subject")
        assertTrue(mail.text.contains("Jo <b>\r\nBcc: x@evil.test"), mail.text)
        assertTrue(mail.html.contains("Hello Jo &lt;b&gt;\r\nBcc: x@evil.test,"), mail.html)
        assertTrue(mail.html.contains("href=\"https://acme.test/login?a=1&amp;b=2\""), mail.html)
        assertTrue(mail.html.contains("<code>p&#39;w&quot;d</code>"), mail.html)
        assertTrue(mail.html.contains("background:#1e40af;color:#ffffff"), mail.html)
    }
    check("Branding.template keeps the parts not overridden") {
        val t = Branding.fromJson(BRANDING_JSON).template(MailTemplate.MEMBER_WELCOME)
        assertEq("Hi {{ memberName }}, welcome to {{productName}}", t.subject, "subject")
        assertEq(Branding.fromJson("{}").template(MailTemplate.MEMBER_WELCOME).text, t.text, "text")
    }
    check("colours: parse, hex, readable text, contrast") {
        assertEq(Colour(0xaau, 0xbbu, 0xccu), parseColour("c", " #ABC "), "#rgb")
        assertEq("#0102ff", colourHex(Colour(1u, 2u, 255u)), "hex")
        assertEq(BLACK, readableOn(Colour(0xffu, 0xd7u, 0x00u)), "on gold")
        assertEq(WHITE, readableOn(Colour(0x1eu, 0x40u, 0xafu)), "on blue")
        assertTrue(Math.abs(contrastRatio(BLACK, WHITE) - 21.0) < 1e-9, "21:1")
        assertTrue(Math.abs(contrastRatio(WHITE, WHITE) - 1.0) < 1e-9, "1:1")
        val grey = Colour(0x76u, 0x76u, 0x76u)
        assertEq(contrastRatio(grey, WHITE), contrastRatio(WHITE, grey), "either order")
        assertEq(true, meetsWcagAa(contrastRatio(grey, WHITE), false), "#767676 on white passes AA")
        assertEq(false to true, meetsWcagAa(4.4, false) to meetsWcagAa(4.4, true), "4.4")
    }
    check("mail templates and their placeholders") {
        assertEq(MailTemplate.PASSWORD_RESET, parseMailTemplate("t", "password_reset"), "parse")
        assertEq("tenant_welcome", mailTemplateName(MailTemplate.TENANT_WELCOME), "name")
        assertEq(listOf("tenantName", "contactName", "portalUrl"), mailTemplatePlaceholders(MailTemplate.TENANT_WELCOME), "placeholders")
        checkTemplate("subject", MailTemplate.TENANT_WELCOME, "{{productName}} for {{ tenantName }}")
    }
    val plain = Branding.fromJson("{}")
    invalidFields("branding", listOf(
        "branding.accentColor" to { Branding.fromJson("""{"accentColor": "blue"}""") },
        "branding.productName" to { Branding.fromJson("""{"productName": "  "}""") },
        "branding.logo" to { Branding.fromJson("""{"logo": "x.png"}""") },
        "branding.emailTemplates.member_welcome.html" to { Branding.fromJson("""{"emailTemplates": {"member_welcome": {"html": "{{password}}"}}}""") },
        "branding" to { Branding.fromJson("\"Acme\"") },
        "values.loginUrl" to { plain.render(MailTemplate.MEMBER_WELCOME, MEMBER_VALUES + ("loginUrl" to "javascript:alert(1)")) },
        "values.oneTimePassword" to { plain.render(MailTemplate.MEMBER_WELCOME, MEMBER_VALUES - "oneTimePassword") },
        "values.portalUrl" to { plain.render(MailTemplate.MEMBER_WELCOME, MEMBER_VALUES + ("portalUrl" to "https://x")) },
        "accent" to { parseColour("accent", "#12345") },
        "name" to { parseMailTemplate("name", "welcome") },
        "html" to { checkTemplate("html", MailTemplate.PASSWORD_RESET, "{{loginUrl") },
    ))
    malformed("branding", listOf({ Branding.fromJson("{") }))
}

const val BT1 = "6650f1c2a9b4e3d2c1b0a001"
const val BT2 = "6650f1c2a9b4e3d2c1b0a002"
const val BP1 = "6650f1c2a9b4e3d2c1b0a111"
val TENANTS_JSON = """[{"_id": {"${'$'}oid": "$BT1"}, "slug": "acme", "status": "active", "partnerId": {"${'$'}oid": "$BP1"}, "seats": 4}, {"_id": "$BT2", "slug": "bolt", "status": "active"}]"""
val PARTNER_JSON = """{"_id": "$BP1", "slug": "nordic-it", "status": "active", "marginPct": 12.5}"""
val CATALOGUE_JSON = """[{"_id": "pr1", "plan": "business", "cycle": "monthly", "currency": "EUR", "perSeatAmount": 1500}]"""
val SUBSCRIPTIONS_JSON = """[
  {"_id": "s1", "tenantId": "$BT1", "plan": "pro", "status": "active", "cycle": "yearly", "currency": "eur", "perSeatAmount": 10, "seats": 7},
  {"_id": "s2", "tenantId": "$BT1", "plan": "business", "status": "past_due"},
  {"_id": "s3", "tenantId": "$BT2", "plan": "pro", "status": "active", "cycle": "monthly", "currency": "dkk", "perSeatAmount": 5000, "seats": 2},
  {"_id": "s4", "tenantId": "$BT2", "plan": "pro", "status": "trialing", "cycle": "monthly", "currency": "eur", "perSeatAmount": 1, "seats": 1},
  {"_id": "s5", "tenantId": "$BT2", "plan": "legacy", "status": "active"}]"""

fun billing() {
    check("monthlyAmount rounds a yearly amount half up once") {
        assertEq(6uL, monthlyAmount(BillingCycle.YEARLY, 10uL, 7uL), "70 / 12")
        assertEq(1uL, monthlyAmount(BillingCycle.YEARLY, 6uL, 1uL), "6 / 12")
        assertEq(0uL, monthlyAmount(BillingCycle.YEARLY, 5uL, 1uL), "5 / 12")
        assertEq(6000uL, monthlyAmount(BillingCycle.MONTHLY, 1500uL, 4uL), "monthly")
        assertEq(ULong.MAX_VALUE, monthlyAmount(BillingCycle.MONTHLY, ULong.MAX_VALUE, 2uL), "saturates")
    }
    check("mrr by tenant, plan and partner") {
        val r = Json.parse(mrr(SUBSCRIPTIONS_JSON, CATALOGUE_JSON, TENANTS_JSON, "[$PARTNER_JSON]")).obj()
        assertEq(listOf("s1" to 6L, "s2" to 6000L, "s3" to 10000L), r["subscriptions"].arr().map { it.obj()["subscriptionId"] to it.obj()["amount"] }, "subscriptions")
        assertEq(mapOf("eur" to 6006L, "dkk" to 10000L), r["total"].obj().toMap(), "total")
        assertEq(mapOf("eur" to 6006L), r["byTenant"].obj()[BT1], "byTenant")
        assertEq(mapOf("pro" to mapOf("dkk" to 10000L, "eur" to 6L), "business" to mapOf("eur" to 6000L)), r["byPlan"].obj().toMap(), "byPlan")
        val partner = r["byPartner"].arr().single().obj()
        assertEq(listOf(6006L, 1250L, 751L, 5255L), listOf(partner["mrr"], partner["marginBasisPoints"], partner["margin"], partner["net"]), "partner")
        assertEq(listOf("s5"), r["unpriced"].arr().map { it.obj()["subscriptionId"] }, "unpriced")
    }
    check("marginBasisPoints reads the percentage exactly") {
        assertEq(1250u, marginBasisPoints(PARTNER_JSON), "12.5")
        assertEq(7u, marginBasisPoints(PARTNER_JSON.replace("12.5", "0.07")), "0.07")
    }
    invalidFields("billing", listOf(
        "subscriptions[0].status" to { mrr("""[{"_id": "s", "tenantId": "$BT1", "plan": "p", "status": "gone"}]""", "[]", "[]", "[]") },
        "subscriptions[0].seats" to { mrr("""[{"_id": "s", "tenantId": "$BT1", "plan": "p", "status": "active", "seats": -1}]""", "[]", "[]", "[]") },
        "catalogue[0].cycle" to { mrr("[]", CATALOGUE_JSON.replace("monthly", "weekly"), "[]", "[]") },
        "tenants[1].status" to { mrr("[]", "[]", TENANTS_JSON.replace("bolt\", \"status\": \"active", "bolt\", \"status\": \"gone"), "[]") },
        "partners[0].marginPct" to { mrr("[]", "[]", "[]", "[${PARTNER_JSON.replace("12.5", "101")}]") },
        "partner.marginPct" to { mrr(SUBSCRIPTIONS_JSON, CATALOGUE_JSON, TENANTS_JSON, "[${PARTNER_JSON.replace("12.5", "12.345")}]") },
        "subscriptions" to { mrr("{}", "[]", "[]", "[]") },
        "tenants[0]" to { mrr("[]", "[]", "[1]", "[]") },
        "partner" to { marginBasisPoints("[]") },
    ))
    malformed("billing", listOf({ mrr("[", "[]", "[]", "[]") }, { mrr("[]", "[]", "[]", "nope") }, { marginBasisPoints("") }))
}

fun auditEvent(i: Int, extra: String = ""): String =
    """{"_id": {"${'$'}oid": "${i.toString(16).padStart(24, '0')}"}, "action": "tenant.suspend", "outcome": "success", "actorEmail": "ops@dezky.eu", "at": "2026-01-01T00:00:${(59 - i).toString().padStart(2, '0')}.000Z", "targetType": "tenant", "targetId": "acme"$extra}"""

fun audit() {
    check("AuditQuery.build: one filter, newest first") {
        val q = AuditQuery.build("""{"action": ["tenant.*"], "outcome": "denied", "since": "2026-01-01", "limit": 20}""", TID)
        assertEq(20u to 21u, q.pageSize() to q.limit(), "page size and limit")
        assertEq(mapOf("at" to -1L, "_id" to -1L), Json.parse(q.sortJson()), "sort")
        assertEq(mapOf("\$and" to listOf(
            mapOf("tenantId" to TID),
            mapOf("action" to mapOf("\$regex" to "^tenant\\.")),
            mapOf("outcome" to "denied"),
            mapOf("at" to mapOf("\$gte" to "2026-01-01T00:00:00.000Z")),
        )), Json.parse(q.filterJson()), "filter")
        assertEq(emptyMap<String, Any?>(), Json.parse(AuditQuery.build("{}", null).filterJson()), "empty filter")
    }
    check("AuditQuery.nextCursor pages") {
        val q = AuditQuery.build("""{"limit": 2}""", null)
        val page = "[${auditEvent(1)}, ${auditEvent(2)}, ${auditEvent(3)}]"
        val cursor = q.nextCursor(page) ?: throw AssertionError("no cursor")
        assertEq(null, q.nextCursor("[${auditEvent(1)}, ${auditEvent(2)}]"), "last page")
        val bound = Json.parse(AuditQuery.build("""{"limit": 2, "cursor": "$cursor"}""", null).filterJson()).obj()
        assertEq(mapOf("\$lt" to "2026-01-01T00:00:57.000Z"), bound["\$or"].arr()[0].obj()["at"], "strictly older")
    }
    check("parseAuditTime reads offsets and dates") {
        assertEq(Instant.parse("2026-12-03T00:00:00Z"), parseAuditTime("since", "2026-12-03"), "date")
        assertEq(Instant.parse("2026-12-03T12:00:00.250Z"), parseAuditTime("since", "2026-12-03T14:00:00.250+02:00"), "offset")
    }
    check("auditEventsToCsv writes RFC 4180 with formulas defused") {
        val csv = auditEventsToCsv("[${auditEvent(1, ", \"tenantId\": \"$TID\", \"metadata\": {\"from\": \"active\"}")}, ${auditEvent(2, ", \"targetId\": \"=1+1\"")}]")
        assertEq(listOf(
            auditCsvColumns().joinToString(","),
            "2026-01-01T00:00:58.000Z,tenant.suspend,success,ops@dezky.eu,tenant,acme,$TID,\"{\"\"from\"\":\"\"active\"\"}\"",
            "2026-01-01T00:00:57.000Z,tenant.suspend,success,ops@dezky.eu,tenant,\"'=1+1\",,",
            "",
        ), csv.split("\r\n"), "rows")
        assertEq("at,action,outcome,actorEmail,targetType,targetId,tenantId,metadata\r\n", auditEventsToCsv("[]"), "header only")
    }
    invalidFields("audit", listOf(
        "limit" to { AuditQuery.build("""{"limit": 501}""", null) },
        "limit" to { AuditQuery.build("""{"limit": "ten"}""", null) },
        "where" to { AuditQuery.build("""{"where": 1}""", null) },
        "action[1]" to { AuditQuery.build("""{"action": ["tenant.*", "${'$'}where"]}""", null) },
        "since" to { AuditQuery.build("""{"since": "yesterday"}""", null) },
        "cursor" to { AuditQuery.build("""{"cursor": "bm90IGEgY3Vyc29y"}""", null) },
        "tenantId" to { AuditQuery.build("{}", "acme") },
        "filter" to { AuditQuery.build("[]", null) },
        "documents[0]._id" to { AuditQuery.build("""{"limit": 1}""", null).nextCursor("[${auditEvent(1).replace(Regex("\\{\"\\\$oid\": \"[0-9a-f]+\"}"), "7")}, ${auditEvent(2)}]") },
        "documents" to { AuditQuery.build("{}", null).nextCursor("{}") },
        "until" to { parseAuditTime("until", "1969-12-31") },
        "events[1]" to { auditEventsToCsv("[${auditEvent(1)}, {\"action\": \"x\"}]") },
        "events" to { auditEventsToCsv("{}") },
    ))
    malformed("audit", listOf({ AuditQuery.build("{", null) }, { AuditQuery.build("{}", null).nextCursor("[") }, { auditEventsToCsv("") }))
}

const val PID = "6650f1c2a9b4e3d2c1b0a777"
val OP_USER = """{"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "$SUB", "platformAdmin": true}"""
val NO_OP_USER = """{"_id": "6650f1c2a9b4e3d2c1b0a001", "authentikSubjectId": "$SUB"}"""

fun partnerDoc(status: String): String =
    """{"_id": {"${'$'}oid": "$PID"}, "slug": "resell", "name": "Resell", "status": "$status", "__v": 2}"""

fun dmarc(p: String = "none", sp: String? = null, pct: UByte? = null, rua: List<String> = emptyList(), ruf: List<String> = emptyList(), adkim: String? = null, aspf: String? = null) =
    DmarcPolicy(p, sp, pct, rua, ruf, adkim, aspf)

fun partners() {
    check("dmarcRecord writes the tags in order") {
        assertEq("v=DMARC1; p=quarantine; sp=reject; pct=25; rua=mailto:Agg@example.org; adkim=s; aspf=r",
            dmarcRecord(dmarc("quarantine", "reject", 25u, listOf("mailto:Agg@Example.org"), emptyList(), "s", "r")))
        val read = dmarcPolicyFromJson("""{"p": "reject", "pct": 50}""")
        assertEq(50.toUByte(), read.pct, "pct")
        assertEq("v=DMARC1; p=reject; pct=50", dmarcRecord(read))
    }
    invalidFields("dmarc", listOf(
        "dmarc.p" to { dmarcRecord(dmarc("maybe")) },
        "dmarc.sp" to { dmarcRecord(dmarc(sp = "allow")) },
        "dmarc.pct" to { dmarcRecord(dmarc(pct = 101u)) },
        "dmarc.rua[1]" to { dmarcRecord(dmarc(rua = listOf("mailto:a@b.test", "https://b.test"))) },
        "dmarc.ruf[0]" to { dmarcRecord(dmarc(ruf = listOf("mailto:a@b.test,mailto:c@d.test"))) },
        "dmarc.adkim" to { dmarcRecord(dmarc(adkim = "x")) },
        "dmarc.aspf" to { dmarcRecord(dmarc(aspf = "relaxed")) },
        "dmarc" to { dmarcPolicyFromJson("""{"p": "none", "fo": "1"}""") },
    ))
    check("createPartner returns the document and its event") {
        val created = createPartner("""{"slug": "resell", "name": "Resell", "marginPct": 10}""", OPERATOR, OP_USER, OPS, AT)
        val doc = Json.parse(created.documentJson).obj()
        assertEq("active", doc["status"], "status")
        assertEq("partner.create", Json.parse(created.eventsJson).arr()[0].obj()["action"], "action")
    }
    invalidFields("createPartner", listOf(
        "partner.slug" to { createPartner("""{"slug": "Bad Slug", "name": "R"}""", OPERATOR, OP_USER, OPS, AT) },
        "partner.name" to { createPartner("""{"slug": "resell", "name": ""}""", OPERATOR, OP_USER, OPS, AT) },
        "partner.marginPct" to { createPartner("""{"slug": "resell", "name": "R", "marginPct": 101}""", OPERATOR, OP_USER, OPS, AT) },
        "partner" to { createPartner("""{"slug": "resell", "name": "R", "margin": 1}""", OPERATOR, OP_USER, OPS, AT) },
        "partner.status" to { attachTenant(tenantDoc("active"), partnerDoc("terminated"), OPERATOR, OP_USER, OPS, AT) },
    ))
    check("every partner function needs an operator") {
        val calls = listOf<(Actor, String) -> Unit>(
            { a, u -> createPartner("""{"slug": "resell", "name": "R"}""", a, u, OPS, AT) },
            { a, u -> terminatePartner(partnerDoc("active"), a, u, OPS, AT) },
            { a, u -> attachTenant(tenantDoc("active"), partnerDoc("active"), a, u, OPS, AT) },
            { a, u -> detachTenant(tenantDoc("active"), a, u, OPS, AT) },
        )
        for (call in calls) {
            expectError<DezkyException.Forbidden>("DEZKY_FORBIDDEN") { call(PORTAL, OP_USER) }
            expectError<DezkyException.Forbidden>("DEZKY_FORBIDDEN") { call(OPERATOR, NO_OP_USER) }
            call(OPERATOR, OP_USER)
        }
    }
    check("terminate is a status, attach sets and detach unsets partnerId") {
        val terminated = terminatePartner(partnerDoc("active"), OPERATOR, OP_USER, OPS, AT)
        val set = Json.parse(terminated.patchJson).obj()["update"].obj()["${'$'}set"].obj()
        assertEq("terminated", set["status"], "status")
        assertEq(STAMP, set["terminatedAt"], "terminatedAt")
        assertEq(null, Json.parse(terminatePartner(partnerDoc("terminated"), OPERATOR, OP_USER, OPS, AT).patchJson).obj()["update"], "repeat")
        val attached = Json.parse(attachTenant(tenantDoc("active"), partnerDoc("active"), OPERATOR, OP_USER, OPS, AT).patchJson).obj()
        assertEq(PID, attached["update"].obj()["${'$'}set"].obj()["partnerId"].obj()["${'$'}oid"], "partnerId")
        val detached = Json.parse(detachTenant(Json.write(linkedMapOf<String, Any?>("_id" to TID, "slug" to "acme", "status" to "active", "partnerId" to mapOf("${'$'}oid" to PID), "__v" to 2L)), OPERATOR, OP_USER, OPS, AT).patchJson).obj()
        assertTrue(detached["update"].obj()["${'$'}unset"].obj().containsKey("partnerId"), "unset partnerId")
    }
    malformed("partners", listOf({ createPartner("{", OPERATOR, OP_USER, OPS, AT) }, { terminatePartner("", OPERATOR, OP_USER, OPS, AT) }, { dmarcPolicyFromJson("[") }))
}

fun main(args: Array<String>) {
    val path = args.firstOrNull() ?: "../../tests/conformance/flags.json"
    val doc = Json.parse(File(path).readText()).obj()
    check("conformance file version") { assertEq(1L, doc["version"]) }
    conformance(doc)
    api()
    domain()
    lifecycle()
    policy()
    branding()
    billing()
    audit()
    partners()
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
