# Warnings and build options, carried by INTERFACE targets that are never exported.
# One warning set for every file, errors when top-level. -Wnull-dereference is not in it: GCC 12 reports
# it inside inlined Asio/libstdc++ code of every Beast translation unit (false positives).
add_library(derivcache_options INTERFACE)
target_compile_features(derivcache_options INTERFACE cxx_std_17)
target_compile_options(derivcache_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(DERIVCACHE_WERROR)
  target_compile_options(derivcache_options INTERFACE -Werror)
endif()

# Third-party headers (CAF, Beast, Asio) are included as system headers, so the
# warnings above apply to derivcache's own code only.
function(derivcache_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(derivcache_${name} ${ARG_SOURCES})
  add_library(derivcache::${name} ALIAS derivcache_${name})
  set_target_properties(derivcache_${name} PROPERTIES EXPORT_NAME ${name} POSITION_INDEPENDENT_CODE ON)
  target_include_directories(derivcache_${name} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/derivcache>)
  target_link_libraries(derivcache_${name} PUBLIC ${ARG_PUBLIC}
    PRIVATE ${ARG_PRIVATE} $<BUILD_INTERFACE:derivcache_options>)
  set_property(GLOBAL APPEND PROPERTY DERIVCACHE_LIBRARIES derivcache_${name})
endfunction()
