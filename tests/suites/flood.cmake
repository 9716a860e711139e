# Hostile traffic (issue #7): a flood of unauthenticated packets at a live meeting, replayed and
# forged SRTP and stream takeover, and the API's token, PIN throttling and limits.
add_executable(flood ${CMAKE_CURRENT_SOURCE_DIR}/tools/flood.c)
target_link_libraries(flood PRIVATE mcu_core)
mcu_e2e_test(flood)
mcu_unit_test(test_hostile mcu_core)
