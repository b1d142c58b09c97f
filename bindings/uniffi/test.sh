#!/usr/bin/env bash
# Builds the UniFFI bindings, generates Kotlin, Swift and Python, and tests them:
# Kotlin/JVM (kotlinc + java) and Python (pytest) run the shared conformance vectors
# and bad-input checks; Swift is checked in shape only (no Swift toolchain on Linux).
#
# Needs cargo, node/npm, java 17 and python3 (3.9+); run as root the first time
# so that it can `apt-get install libjna-java`. Installs the rest under this directory:
# kotlin-compiler (npm) in .tools/, pytest in .venv/. Outputs go to build/.
# Exits non-zero on any failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$HERE/build"
KOTLIN_VERSION="2.4.20"
# The shared conformance vectors; DEZKY_CONFORMANCE overrides the file (to see a failure, say).
CONFORMANCE="${DEZKY_CONFORMANCE:-$ROOT/tests/conformance/flags.json}"

cd "$ROOT"
now() { date +%s.%N; }
T_START=$(now)
TIMINGS=()
step() { STEP_NAME="$1"; STEP_START=$(now); echo "==> $1"; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
done_step() { TIMINGS+=("$(printf '%-44s %7s s' "$STEP_NAME" "$(elapsed "$STEP_START")")"); }
FAILURES=()

# --- tools -----------------------------------------------------------------
step "tools (libjna-java, kotlinc, pytest)"
if ! dpkg -s libjna-java >/dev/null 2>&1; then
    apt-get install -y libjna-java >/dev/null || { apt-get update >/dev/null && apt-get install -y libjna-java >/dev/null; }
fi
JNA_JAR="$(dpkg -L libjna-java | awk '/\/jna\.jar$/ && !found { print; found = 1 }')"
KOTLIN="$HERE/.tools/node_modules/kotlin-compiler"
if [ "$(node -p "try{require('$KOTLIN/package.json').version}catch(e){''}")" != "$KOTLIN_VERSION" ]; then
    mkdir -p "$HERE/.tools"
    (cd "$HERE/.tools" && npm install --no-audit --no-fund --save-exact "kotlin-compiler@$KOTLIN_VERSION" >/dev/null)
fi
# The package declares only a kotlinc-js bin; the JVM compiler is called directly.
chmod +x "$KOTLIN"/bin/*
KOTLINC="$KOTLIN/bin/kotlinc"
COROUTINES_JAR="$KOTLIN/lib/kotlinx-coroutines-core-jvm.jar"
STDLIB_JAR="$KOTLIN/lib/kotlin-stdlib.jar"
if [ ! -x "$HERE/.venv/bin/pytest" ]; then
    python3 -m venv "$HERE/.venv"
    "$HERE/.venv/bin/pip" install --quiet pytest
fi
done_step

# --- builds: the library in release, the generator in dev (see docs) -------
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
LIB="$TARGET_DIR/release/libdezky_uniffi.so"
BINDGEN="$TARGET_DIR/debug/uniffi-bindgen"

step "cargo build -p dezky-uniffi --release"
cargo build --quiet -p dezky-uniffi --release
done_step

step "cargo build -p uniffi-bindgen (dev)"
cargo build --quiet -p uniffi-bindgen
done_step

# --- generation --------------------------------------------------------------
step "uniffi-bindgen generate (3 languages)"
rm -rf "$BUILD/gen"
for language in kotlin swift python; do
    "$BINDGEN" generate --library "$LIB" --language "$language" --out-dir "$BUILD/gen/$language" --no-format >/dev/null
done
# The generated dezky_uniffi.py imports its sibling dezky_flags.py relatively: make a package.
rm -rf "$BUILD/python"
mkdir -p "$BUILD/python/dezky_ffi"
cp "$BUILD"/gen/python/*.py "$BUILD/python/dezky_ffi/"
touch "$BUILD/python/dezky_ffi/__init__.py"
cp "$LIB" "$BUILD/python/dezky_ffi/"
done_step

# --- Kotlin/JVM ----------------------------------------------------------------
step "kotlinc (cached by input hash)"
KT_SOURCES=("$BUILD"/gen/kotlin/uniffi/*/*.kt "$HERE/tests/kotlin/Main.kt")
KT_JAR="$BUILD/kotlin/test.jar"
KT_HASH="$(cat "${KT_SOURCES[@]}" | sha256sum | cut -d' ' -f1)-$KOTLIN_VERSION"
mkdir -p "$BUILD/kotlin"
if [ ! -f "$KT_JAR" ] || [ "$(cat "$KT_JAR.inputs" 2>/dev/null)" != "$KT_HASH" ]; then
    rm -f "$KT_JAR" "$KT_JAR.inputs"
    # -nowarn: the generated code triggers deprecation and unused warnings we do not own.
    "$KOTLINC" -nowarn "${KT_SOURCES[@]}" -cp "$JNA_JAR:$COROUTINES_JAR" -d "$KT_JAR"
    echo "$KT_HASH" > "$KT_JAR.inputs"
fi
done_step

step "Kotlin/JVM tests"
if java -Djna.library.path="$(dirname "$LIB")" -cp "$KT_JAR:$JNA_JAR:$COROUTINES_JAR:$STDLIB_JAR" MainKt "$CONFORMANCE"; then :; else
    FAILURES+=("kotlin")
fi
done_step

# --- Python --------------------------------------------------------------------
step "Python tests (pytest)"
if DEZKY_CONFORMANCE="$CONFORMANCE" "$HERE/.venv/bin/python" -m pytest -q -p no:cacheprovider "$HERE/tests/python"; then :; else
    FAILURES+=("python")
fi
done_step

# --- Swift: shape only -----------------------------------------------------------
step "Swift shape check"
SWIFT_OK=1
expect() { # file, fixed string
    if ! grep -qF -- "$2" "$BUILD/gen/swift/$1"; then echo "swift: $1 lacks: $2"; SWIFT_OK=0; fi
}
for f in dezky_uniffi.swift dezky_uniffiFFI.h dezky_uniffiFFI.modulemap dezky_flags.swift dezky_flagsFFI.h dezky_flagsFFI.modulemap; do
    [ -s "$BUILD/gen/swift/$f" ] || { echo "swift: $f missing"; SWIFT_OK=0; }
done
expect dezky_uniffi.swift "open class FlagSet: FlagSetProtocol"
expect dezky_uniffi.swift "public static func fromJson(json: String)throws  -> FlagSet"
for m in "func toJson() -> String" "func keys() -> [String]" \
         "func evaluate(key: String, context: EvaluationContext) -> Evaluation" \
         "func evaluateAll(context: EvaluationContext) -> [String: Bool]" \
         "func withFlag(flagJson: String)throws  -> FlagSet" "func withoutFlag(key: String)throws  -> FlagSet"; do
    expect dezky_uniffi.swift "$m"
done
expect dezky_uniffi.swift "enum DezkyError: Swift.Error"
for v in MalformedJson InvalidFlag DuplicateKey InvalidContext FlagNotFound InvalidArgument Source Invalid Forbidden \
         IllegalTransition VersionConflict TenantInactive Other; do
    expect dezky_uniffi.swift "case $v("
done
expect dezky_uniffi.swift "public func code() -> String"
expect dezky_uniffi.swift "public func bucket(subject: String, key: String) -> UInt8"
expect dezky_uniffi.swift "public func bucketPrefix(subject: String, key: String) -> UInt32"
expect dezky_uniffi.swift "public func contextFromJson(json: String)throws  -> EvaluationContext"
expect dezky_uniffi.swift "public func createFlag(key: String, description: String, actor: String)throws  -> FlagChange"
expect dezky_uniffi.swift "public func killSwitch(flagJson: String, actor: String)throws  -> FlagChange"
expect dezky_uniffi.swift "public func updateFlag(flagJson: String, updateJson: String, actor: String)throws  -> FlagChange?"
expect dezky_uniffi.swift "public func previewRollout(flagJson: String, contexts: [EvaluationContext])throws  -> RolloutPreview"
expect dezky_uniffi.swift "public func reasonName(reason: Reason) -> String"
expect dezky_uniffi.swift "public func flagContext(tenantJson: String, partnerJson: String?, environment: String)throws  -> EvaluationContext"
for f in "requireOwnActiveRecord(actor: Actor, userJson: String)" "requireOperator(actor: Actor, userJson: String)" \
         "requirePlatformAdmin(actor: Actor, userJson: String)" \
         "requireTenantMember(actor: Actor, userJson: String, tenantJson: String)" \
         "requireTenantAdmin(actor: Actor, userJson: String, tenantJson: String)" \
         "requirePartnerStaff(actor: Actor, userJson: String, partnerJson: String)" \
         "requirePartnerTenant(actor: Actor, userJson: String, partnerJson: String, tenantJson: String)" \
         "requireCanSuspend(actor: Actor, userJson: String, tenantJson: String, targetJson: String)" \
         "requireCanForceLogout(actor: Actor, userJson: String, tenantJson: String, targetJson: String)"; do
    expect dezky_uniffi.swift "public func ${f}throws"
done
expect dezky_uniffi.swift "public func parseTenantSlug(slug: String)throws  -> String"
expect dezky_uniffi.swift "public func newPendingTenant(id: String, slug: String, name: String, plan: String)throws  -> String"
expect dezky_uniffi.swift "public func transitionTenant(tenantJson: String, action: LifecycleAction, actor: String, at: Date)throws  -> TenantTransition"
expect dezky_uniffi.swift "public func applyTenantPatch(tenantJson: String, patchJson: String)throws  -> String"
expect dezky_uniffi.swift "public func readyToActivate(tenantJson: String)throws  -> Bool"
for c in SecurityPolicy Branding AuditQuery; do expect dezky_uniffi.swift "open class $c: ${c}Protocol"; done
expect dezky_uniffi.swift "public static func fromJson(json: String)throws  -> SecurityPolicy"
expect dezky_uniffi.swift "public static func ofTenant(tenantJson: String)throws  -> SecurityPolicy"
expect dezky_uniffi.swift "public static func fromJson(json: String)throws  -> Branding"
expect dezky_uniffi.swift "public static func build(filterJson: String, tenantId: String?)throws  -> AuditQuery"
for m in "func ipAllowed(ip: String)throws  -> Bool" "func countryAllowed(country: String?)throws  -> Bool" \
         "func sessionEnds(started: Date, lastActive: Date)throws  -> Date" \
         "func sessionExpired(started: Date, lastActive: Date, now: Date)throws  -> SessionLimit?" \
         "func mfaCompliance(members: [MemberMfa]) -> MfaCompliance" \
         "func render(template: MailTemplate, values: [String: String])throws  -> TemplateText" \
         "func nextCursor(documentsJson: String)throws  -> String?"; do
    expect dezky_uniffi.swift "$m"
done
expect dezky_uniffi.swift "public func updateSecurityPolicy(tenantJson: String, changesJson: String, actor: String, at: Date)throws  -> PolicyUpdate"
expect dezky_uniffi.swift "public func mfaCompliance(mode: MfaMode, members: [MemberMfa]) -> MfaCompliance"
expect dezky_uniffi.swift "public func parseColour(field: String, text: String)throws  -> Colour"
expect dezky_uniffi.swift "public func contrastRatio(a: Colour, b: Colour) -> Double"
expect dezky_uniffi.swift "public func checkTemplate(field: String, template: MailTemplate, text: String)throws"
expect dezky_uniffi.swift "public func monthlyAmount(cycle: BillingCycle, perSeatAmount: UInt64, seats: UInt64) -> UInt64"
expect dezky_uniffi.swift "public func mrr(subscriptionsJson: String, catalogueJson: String, tenantsJson: String, partnersJson: String)throws  -> String"
expect dezky_uniffi.swift "public func marginBasisPoints(partnerJson: String)throws  -> UInt32"
expect dezky_uniffi.swift "public func parseAuditTime(field: String, text: String)throws  -> Date"
expect dezky_uniffi.swift "public func auditEventsToCsv(eventsJson: String)throws  -> String"
expect dezky_uniffi.swift "public func dmarcRecord(policy: DmarcPolicy)throws  -> String"
expect dezky_uniffi.swift "public func createPartner(partnerJson: String, actor: Actor, userJson: String, by: String, at: Date)throws  -> CreatedPartner"
expect dezky_uniffi.swift "public func attachTenant(tenantJson: String, partnerJson: String, actor: Actor, userJson: String, by: String, at: Date)throws  -> PartnerChange"
for e in Surface TenantStatus LifecycleAction MfaMode SessionLimit MailTemplate BillingCycle; do expect dezky_uniffi.swift "public enum $e: Equatable, Hashable"; done
for s in FlagAuditEvent FlagChange RolloutPreview Actor TenantTransition PolicyUpdate MemberMfa MfaCompliance Colour TemplateText DmarcPolicy CreatedPartner PartnerChange; do expect dezky_uniffi.swift "public struct $s: Equatable, Hashable"; done
for s in Evaluation EvaluationContext; do expect dezky_flags.swift "public struct $s: Equatable, Hashable"; done
expect dezky_flags.swift "public enum Reason: Equatable, Hashable"
# Every C function the Swift headers declare is exported by the library.
if command -v nm >/dev/null; then
    MISSING="$(comm -23 <(grep -ho 'uniffi_dezky_[a-z_0-9]*\|ffi_dezky_[a-z_0-9]*' "$BUILD"/gen/swift/*.h | sort -u) \
                        <(nm -D --defined-only "$LIB" | awk '{print $3}' | sort -u))"
    if [ -n "$MISSING" ]; then echo "swift: header symbols missing from the library:"; echo "$MISSING"; SWIFT_OK=0; fi
else
    echo "swift: nm not found, header symbols not checked against the library"
fi
[ "$SWIFT_OK" = 1 ] && echo "Swift shape OK (generated, not compiled: no Swift toolchain on Linux)" || FAILURES+=("swift")
done_step

echo
echo "timings:"
printf '  %s\n' "${TIMINGS[@]}"
printf '  %-44s %7s s\n' "total" "$(elapsed "$T_START")"
if [ "${#FAILURES[@]}" -gt 0 ]; then
    echo "FAILED: ${FAILURES[*]}"
    exit 1
fi
echo "all UniFFI binding tests passed"
