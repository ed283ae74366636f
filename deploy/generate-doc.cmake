# Writes a man page or a bash completion script with the binary itself, from
# the option tables --help prints (so they cannot drift from it):
#   cmake -DEXE=egresswatchd -DWHAT=man|bash-completion -DOUT=FILE [-DGZIP=ON] -P deploy/generate-doc.cmake
execute_process(COMMAND ${EXE} --generate ${WHAT} OUTPUT_FILE ${OUT} RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${EXE} --generate ${WHAT} failed (${status})")
endif()
if(GZIP)
  # -n: no name or time stamp inside, so the package builds the same every time.
  execute_process(COMMAND gzip -9nf ${OUT} RESULT_VARIABLE status)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "gzip ${OUT} failed (${status})")
  endif()
endif()
