# Fuzz targets for the parsers that had none (issue #7), and the allocation-failure test of the
# create paths. Each target links only the library its parser lives in; its corpus replay is a
# ctest "fuzz" test like the others (tests/CMakeLists.txt's mcu_fuzz_target), and
# scripts/fuzz.sh runs the libFuzzer builds for a bounded time.

mcu_fuzz_target(demux mcu_proto)          # RFC 7983 first-byte demux
mcu_fuzz_target(base64 mcu_proto)         # SDES key text
mcu_fuzz_target(timefmt mcu_proto)        # "start"/"until" strings of API requests
# The config file through config_load: each input is a memfd opened by path (about 60 us).
set(MCU_FUZZ_MUTATIONS_config 40000)
mcu_fuzz_target(config mcu_core)
mcu_fuzz_target(api_fields mcu_core)      # addresses, resolution, time zone, names in API bodies
# SRTP/SRTCP unprotect: each input makes an inbound context (key derivation) and runs up to 64
# packets through libsrtp, about 20 us an input, so fewer mutations keep the replay near 5 s.
set(MCU_FUZZ_MUTATIONS_rtpsec 100000)
mcu_fuzz_target(rtpsec mcu_core)

# Every *_create in mixer/, codec/ and mcu/ without an allocation-failure loop of its own.
mcu_unit_test(test_oom mcu_core)
