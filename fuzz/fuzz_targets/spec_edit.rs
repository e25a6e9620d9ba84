//! Fuzz target `spec_edit`: see `cf_cache_fuzz_harness::spec_edit` for the input layout and invariants.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cf_cache_fuzz_harness::spec_edit(data));
