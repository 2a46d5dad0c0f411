# One fuzz target for SECONDS on a fresh copy of its seed corpus, from random SEED (0: libFuzzer
# picks one; CI fixes it so that a run can be replayed) (libFuzzer adds what it finds
# to the corpus it runs on; the committed one stays as it is). A crash, a leak, a timeout or an
# out-of-memory fails the test and leaves the input as WORK/crash-*, leak-*, timeout-*, oom-*.
file(REMOVE_RECURSE "${WORK}/corpus")
file(MAKE_DIRECTORY "${WORK}/corpus")
file(COPY "${CORPUS}/" DESTINATION "${WORK}/corpus")
execute_process(
  COMMAND "${FUZZER}" -max_total_time=${SECONDS} -seed=${SEED} -timeout=10 -rss_limit_mb=2048
          -print_final_stats=1 -artifact_prefix=${WORK}/ "${WORK}/corpus"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the input that did it is in ${WORK}")
endif()
