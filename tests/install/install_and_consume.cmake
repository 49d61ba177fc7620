# cmake -P script: stage an install, build the consumer against it, run it.
function(run)
  execute_process(COMMAND ${ARGV} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGV}\n${out}\n${err}")
  endif()
endfunction()

file(REMOVE_RECURSE ${STAGE_DIR} ${CONSUMER_BUILD} ${EMBED_BUILD})
run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${STAGE_DIR})
run(${CMAKE_COMMAND} -S ${CONSUMER_SOURCE} -B ${CONSUMER_BUILD} -DCMAKE_PREFIX_PATH=${STAGE_DIR} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${CONSUMER_BUILD})
execute_process(COMMAND ${CONSUMER_BUILD}/consumer ${CHAIN} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
message("${out}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer exited ${rc}")
endif()

# The embedding example (examples/embed) against the same staged package; tests/embed runs it.
run(${CMAKE_COMMAND} -S ${EMBED_SOURCE} -B ${EMBED_BUILD} -DCMAKE_PREFIX_PATH=${STAGE_DIR} -DCMAKE_BUILD_TYPE=Release)
run(${CMAKE_COMMAND} --build ${EMBED_BUILD})
