# Fuzzing of the input parsers (docs/fuzzing.md): the libFuzzer targets when
# TCBENCH_FUZZ is on (clang, with TCBENCH_ASAN and TCBENCH_UBSAN; ci/fuzz
# configures it so), and their replay tests over the seed corpus and the
# regression inputs whenever the tests are built. Included after tcbench_core
# is defined and after include(CTest).
option(TCBENCH_FUZZ "Build the libFuzzer targets of the input parsers (clang)" OFF)
# The replay tests, as the other tests, only when tcbench is the top-level project.
if(BUILD_TESTING AND CMAKE_SOURCE_DIR STREQUAL CMAKE_CURRENT_SOURCE_DIR)
  set(TCB_FUZZ_REPLAY ON)
else()
  set(TCB_FUZZ_REPLAY OFF)
endif()
if(TCBENCH_FUZZ OR TCB_FUZZ_REPLAY)
  add_subdirectory(tests/fuzz)
endif()
