# The host code's layers (README "Layout"): one static library per folder of src/, each linking
# only the layers below it. A library's include path holds its own folder and, through what it
# links, the folders below: a folder links to one staged copy of its headers (a symbolic link under
# the build tree, named as the includes spell it), so that an include of a higher layer finds no
# file and fails the build. The compiler keeps the layers in order, not a convention.

# Warnings, set once for every target of the project; MOEBENCH_WERROR (CI: make test WERROR=ON)
# makes them errors.
option(MOEBENCH_WERROR "Treat compiler warnings as errors" OFF)
add_library(moebench_warnings INTERFACE)
target_compile_options(moebench_warnings INTERFACE $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra>
                                                   $<$<AND:$<COMPILE_LANGUAGE:CXX>,$<BOOL:${MOEBENCH_WERROR}>>:-Werror>)

# moebench_layer(TARGET FOLDER [SOURCES ...] [PUBLIC libs...] [PRIVATE libs...])
#   TARGET: the library of src/FOLDER (FOLDER may be nested: cuda/device). Without SOURCES it is a
#   header-only INTERFACE library.
function(moebench_layer target folder)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  # The folder's own headers only, not its subfolders' (cuda/ holds the layers below it).
  set(stage ${CMAKE_BINARY_DIR}/layers/${target})
  file(REMOVE_RECURSE ${stage})
  file(MAKE_DIRECTORY ${stage}/${folder})
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/${folder}/*.hpp)
  foreach(header IN LISTS headers)
    get_filename_component(name ${header} NAME)
    file(CREATE_LINK ${header} ${stage}/${folder}/${name} SYMBOLIC)
  endforeach()
  if(ARG_SOURCES)
    add_library(${target} STATIC ${ARG_SOURCES})
    target_include_directories(${target} PUBLIC ${stage})
    target_link_libraries(${target} PUBLIC ${ARG_PUBLIC} PRIVATE ${ARG_PRIVATE} moebench_warnings)
  else()
    add_library(${target} INTERFACE)
    target_include_directories(${target} INTERFACE ${stage})
    target_link_libraries(${target} INTERFACE ${ARG_PUBLIC})
  endif()
endfunction()

# The project's executables and test binaries: the same warnings.
function(moebench_executable target)
  add_executable(${target} ${ARGN})
  target_link_libraries(${target} PRIVATE moebench_warnings)
endfunction()
