# Soak, limits and crash safety (issue #7): a participant that reports the server's RTCP BYE, a
# journalled store writer, the soak with the limit checks, and SIGKILL / SIGTERM of a server at
# work.
add_executable(byecheck ${CMAKE_CURRENT_SOURCE_DIR}/tools/byecheck.c)
target_link_libraries(byecheck PRIVATE mcu_core)
# The crash test's writer: meetings created, patched and cancelled through the API, journalled.
add_executable(storewriter ${CMAKE_CURRENT_SOURCE_DIR}/tools/storewriter.c
  ${PROJECT_SOURCE_DIR}/mcu/httpc.c)
target_include_directories(storewriter PRIVATE ${PROJECT_SOURCE_DIR}/mcu)
target_link_libraries(storewriter PRIVATE PkgConfig::EVENT PkgConfig::JANSSON)

# The short soak (75 s of load after the limit checks) is an ordinary e2e test; an empty
# SOAK_SECONDS keeps a value in the caller's environment from stretching it.
mcu_e2e_test(soak)
set_tests_properties(soak PROPERTIES TIMEOUT 240 ENVIRONMENT "SOAK_SECONDS=")
mcu_e2e_test(crash)
set_tests_properties(crash PROPERTIES TIMEOUT 180)

# The long soak is registered only when asked for, at configure time:
#   SOAK_SECONDS=600 cmake -S . -B build  (or -DMCU_SOAK_SECONDS=600), then ctest -L soak
# The script alone takes the variable too: SOAK_SECONDS=600 bash tests/e2e/soak.sh BIN BIN
set(MCU_SOAK_SECONDS "$ENV{SOAK_SECONDS}" CACHE STRING
  "seconds of load for the soak_long test (label soak); empty: no such test")
if(MCU_SOAK_SECONDS)
  add_test(NAME soak_long
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/soak.sh ${CMAKE_BINARY_DIR}/bin ${CMAKE_BINARY_DIR}/bin)
  math(EXPR soak_long_timeout "${MCU_SOAK_SECONDS} + 240")
  set_tests_properties(soak_long PROPERTIES LABELS soak TIMEOUT ${soak_long_timeout}
    ENVIRONMENT "SOAK_SECONDS=${MCU_SOAK_SECONDS}")
endif()
