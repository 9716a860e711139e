# Impaired networks (issue #7): a loopback relay that drops, duplicates, reorders, delays with
# jitter, corrupts and drops bursts of packets, and the end-to-end tests that put FFmpeg clients
# behind it (audio stays audible in every 100 ms window; video recovers within a second).
add_executable(impair ${CMAKE_CURRENT_SOURCE_DIR}/tools/impair.c)
mcu_e2e_test(impair_audio)
mcu_e2e_test(impair_video)
