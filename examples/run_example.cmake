# cmake -DPROGRAM=<exe> -DEXPECT="text;text;..." -P run_example.cmake
# Runs PROGRAM; fails unless it exits 0 and its output contains every EXPECT entry.
execute_process(COMMAND ${PROGRAM} OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE code)
message("${out}")
if(NOT code EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with ${code}: ${err}")
endif()
foreach(expected IN LISTS EXPECT)
  string(FIND "${out}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the output has no '${expected}'")
  endif()
endforeach()
