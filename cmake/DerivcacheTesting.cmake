# derivcache_add_test(<name> SOURCES ... LIBS ...): one GoogleTest executable, tests discovered by CTest.
include(GoogleTest)
function(derivcache_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main derivcache_options)
  target_compile_definitions(${name} PRIVATE
    DERIVCACHE_TEST_DATA_DIR="${PROJECT_SOURCE_DIR}/tests/data"
    DERIVCACHE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 30
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()
