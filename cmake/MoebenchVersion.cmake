# MOEBENCH_VERSION: `git describe` of the source tree when it is a checkout, else the project version.
find_package(Git QUIET)
set(MOEBENCH_VERSION "${PROJECT_VERSION}")
if(GIT_FOUND)
  execute_process(
    COMMAND ${GIT_EXECUTABLE} describe --always --dirty --tags
    WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}
    OUTPUT_VARIABLE _describe
    OUTPUT_STRIP_TRAILING_WHITESPACE
    ERROR_QUIET
    RESULT_VARIABLE _describe_status)
  if(_describe_status EQUAL 0 AND _describe)
    set(MOEBENCH_VERSION "${PROJECT_VERSION}+${_describe}")
  endif()
endif()
