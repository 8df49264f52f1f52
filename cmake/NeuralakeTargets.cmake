# neuralake_subsystem(<name> DEPS ... [TEST_DEPS ...] [TEST_LABELS ...])
#
# One folder = one subsystem = one static library `neuralake_<name>`. Every *.cc in the folder that
# is not a *_test.cc goes into the library; every *_test.cc goes into one test executable
# `neuralake_<name>_test` whose gtest cases are registered with CTest.
function(neuralake_subsystem name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  file(GLOB all_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  set(lib_sources)
  set(test_sources)
  foreach(source IN LISTS all_sources)
    if(source MATCHES "_test\\.cc$")
      list(APPEND test_sources ${source})
    else()
      list(APPEND lib_sources ${source})
    endif()
  endforeach()
  if(NOT lib_sources)  # a subsystem still being written: keep the build graph whole
    set(placeholder ${CMAKE_CURRENT_BINARY_DIR}/neuralake_${name}_placeholder.cc)
    file(WRITE ${placeholder} "// subsystem ${name} has no sources yet\n")
    set(lib_sources ${placeholder})
  endif()
  add_library(neuralake_${name} STATIC ${lib_sources})
  target_include_directories(neuralake_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(neuralake_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  if(test_sources)
    neuralake_test(neuralake_${name}_test SOURCES ${test_sources}
                   DEPS neuralake_${name} ${ARG_TEST_DEPS})
  endif()
endfunction()

# neuralake_test(<target> SOURCES ... DEPS ...): a gtest executable registered with CTest.
function(neuralake_test target)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_compile_definitions(${target} PRIVATE
    NEURALAKE_SOURCE_DIR="${PROJECT_SOURCE_DIR}" NEURALAKE_BINARY_DIR="${PROJECT_BINARY_DIR}")
  # Cases that need a running server (MinIO, PostgreSQL) are named for it: *S3*, *Minio*,
  # *Postgres*, or a `/s3`
  # parameter. They carry the `services` label, so `make unit-test` (-LE services) runs everything
  # else with every service stopped.
  set(services_cases "*S3*:*Minio*:*Postgres*:*/s3")
  gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       TEST_FILTER "-${services_cases}"
                       PROPERTIES TIMEOUT 900)
  gtest_discover_tests(${target} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                       TEST_FILTER "${services_cases}"
                       PROPERTIES TIMEOUT 900 LABELS services)
endfunction()

# neuralake_pytest(<name> TIMEOUT <s> [RUN_SERIAL] [ENVIRONMENT var=value ...])
#
# A pytest suite (the folder of the calling CMakeLists.txt) run by the project venv's Python against
# the real services. It gets NEURALAKE_BIN (the CLI) and tests/pylib on PYTHONPATH (shared helpers).
function(neuralake_pytest name)
  cmake_parse_arguments(ARG "RUN_SERIAL" "TIMEOUT" "ENVIRONMENT" ${ARGN})
  if(DEFINED ENV{NEURALAKE_CACHE})
    set(venv "$ENV{NEURALAKE_CACHE}/venv")
  else()
    set(venv "$ENV{HOME}/.cache/neuralake/venv")
  endif()
  add_test(NAME ${name}
           COMMAND ${venv}/bin/python -m pytest -q -p no:cacheprovider ${CMAKE_CURRENT_SOURCE_DIR})
  set(environment "NEURALAKE_BIN=$<TARGET_FILE:neuralake>"
                  "PYTHONPATH=${PROJECT_SOURCE_DIR}/tests/pylib" ${ARG_ENVIRONMENT})
  set_tests_properties(${name} PROPERTIES
    LABELS "services;python"
    TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "${environment}")
  if(ARG_RUN_SERIAL)
    set_tests_properties(${name} PROPERTIES RUN_SERIAL TRUE)
  endif()
endfunction()
