#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| keyward_format::fuzzing::decrypt_stream(data));
