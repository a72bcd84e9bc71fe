//! Fuzz target `lint`: arbitrary bytes as a manifest file, through every rule and every emitter
//! (the steps are in `../harness.rs`, shared with `tests/fuzz_regressions.rs`).

#![no_main]

#[path = "../harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::run(data));
