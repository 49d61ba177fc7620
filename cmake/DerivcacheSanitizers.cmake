# Sanitizer builds: DERIVCACHE_SANITIZE adds -fsanitize=... to every project target and test through the
# derivcache_options INTERFACE target. `make test-sanitize` uses "address,undefined" and "thread".
set(DERIVCACHE_SANITIZE "" CACHE STRING "Sanitizers for every project target: empty, address,undefined or thread")
set_property(CACHE DERIVCACHE_SANITIZE PROPERTY STRINGS "" "address,undefined" "thread")

if(DERIVCACHE_SANITIZE)
  if(NOT DERIVCACHE_SANITIZE MATCHES "^(address,undefined|address|undefined|thread)$")
    message(FATAL_ERROR "DERIVCACHE_SANITIZE='${DERIVCACHE_SANITIZE}': use address,undefined or thread")
  endif()
  # Every UBSan report is fatal, except that `null` stays recoverable so the one entry in
  # sanitizers/ubsan.supp (CAF 0.17's null tuple of spawn arguments) can apply; UBSAN_OPTIONS=halt_on_error=1
  # (make test-sanitize) still stops at any other `null` report.
  set(_derivcache_sanitize_flags -fsanitize=${DERIVCACHE_SANITIZE} -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined -fsanitize-recover=null)
  target_compile_options(derivcache_options INTERFACE ${_derivcache_sanitize_flags})
  target_link_options(derivcache_options INTERFACE -fsanitize=${DERIVCACHE_SANITIZE})

  # GCC 12 at -O2 with instrumentation reports false positives inside inlined Beast/Asio/libstdc++ code;
  # relax exactly those here (the normal build keeps -Werror and these warnings). -Wtsan: GCC cannot
  # instrument std::atomic_thread_fence, which Asio uses; TSan then relies on the surrounding atomics.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    target_compile_options(derivcache_options INTERFACE -Wno-maybe-uninitialized -Wno-null-dereference)
    if(DERIVCACHE_SANITIZE STREQUAL "thread")
      target_compile_options(derivcache_options INTERFACE -Wno-tsan)
    endif()
  endif()

  # The installed static libraries are instrumented, so a host project linking them (tests/install's
  # consumer) needs the sanitizer runtime: carry the link flag in the exported targets.
  function(_derivcache_sanitize_exports)
    get_property(_libs GLOBAL PROPERTY DERIVCACHE_LIBRARIES)
    foreach(_lib IN LISTS _libs)
      target_link_options(${_lib} INTERFACE $<INSTALL_INTERFACE:-fsanitize=${DERIVCACHE_SANITIZE}>)
    endforeach()
  endfunction()
  cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _derivcache_sanitize_exports)
  message(STATUS "derivcache: sanitizers ${DERIVCACHE_SANITIZE}")
endif()

# libFuzzer targets (clang): fuzz/CMakeLists.txt. They compile the code under test themselves.
option(DERIVCACHE_FUZZ "Build the libFuzzer targets in fuzz/ (clang)" OFF)
if(DERIVCACHE_FUZZ)
  add_subdirectory(fuzz)
endif()
