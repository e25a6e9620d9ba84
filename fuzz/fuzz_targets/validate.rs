//! Fuzz target `validate`: see `cf_cache_fuzz_harness::validate` for the input layout and invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cf_cache_fuzz_harness::validate(data));
