//! Fuzz target `spec_text`: see `cf_cache_fuzz_harness::spec_text` for the input layout and invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cf_cache_fuzz_harness::spec_text(data));
