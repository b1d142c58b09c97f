//! `uniffi-bindgen`, built from the same `uniffi` version as `bindings/uniffi`,
//! so generated Kotlin, Swift and Python always match the runtime's scaffolding.
//!
//! Build it in the dev profile (the generator under optimization takes minutes):
//! `cargo build -p uniffi-bindgen`, then
//! `target/debug/uniffi-bindgen generate --library target/release/libdezky_uniffi.so --language kotlin --out-dir <dir> --no-format`.

fn main() {
    uniffi::uniffi_bindgen_main()
}
