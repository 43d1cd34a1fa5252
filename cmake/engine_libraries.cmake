# The third-party libraries of the engine (SQLite, libcrypto, libarchive and its decompressors)
# as two targets, berth::sqlite and berth::archive_crypto. With BERTH_STATIC they are Debian's
# static archives: every berth command otherwise loads 19 shared libraries (libarchive alone
# brings libxml2, ICU, nettle and seven more) and binds their symbols lazily, which cost each
# `berth run` several milliseconds (bench/RESULTS.md, "container_run").
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(LibArchive REQUIRED)

set(_berth_static_names sqlite3 crypto archive zstd lzma bz2 z)
set(_berth_static_found ON)
if(BERTH_STATIC)
  foreach(name IN LISTS _berth_static_names)
    find_library(BERTH_STATIC_${name} NAMES lib${name}.a)
    if(NOT BERTH_STATIC_${name})
      set(_berth_static_found OFF)
      message(STATUS "lib${name}.a not found: the engine links the shared libraries")
    endif()
  endforeach()
endif()

add_library(berth_engine_sqlite INTERFACE)
add_library(berth_engine_archive_crypto INTERFACE)
add_library(berth::sqlite ALIAS berth_engine_sqlite)
add_library(berth::archive_crypto ALIAS berth_engine_archive_crypto)
if(BERTH_STATIC AND _berth_static_found)
  find_package(Threads REQUIRED)
  target_include_directories(berth_engine_sqlite INTERFACE ${SQLite3_INCLUDE_DIRS})
  target_link_libraries(berth_engine_sqlite INTERFACE ${BERTH_STATIC_sqlite3} Threads::Threads m
                                                      ${CMAKE_DL_LIBS})
  target_include_directories(berth_engine_archive_crypto INTERFACE ${OPENSSL_INCLUDE_DIR}
                                                                   ${LibArchive_INCLUDE_DIRS})
  target_link_libraries(berth_engine_archive_crypto INTERFACE
    ${BERTH_STATIC_archive} ${BERTH_STATIC_zstd} ${BERTH_STATIC_lzma} ${BERTH_STATIC_bz2}
    ${BERTH_STATIC_z} ${BERTH_STATIC_crypto} Threads::Threads ${CMAKE_DL_LIBS})
  # libarchive.a's table of writers (archive_write_set_format.o, pulled in by the pax writer)
  # names every format, and xar's needs libxml2 and ICU: its sections are never reached, and
  # dropping them is what lets the link do without those libraries.
  target_link_options(berth_engine_archive_crypto INTERFACE -Wl,--gc-sections)
  set(BERTH_ENGINE_STATIC ON)
else()
  target_link_libraries(berth_engine_sqlite INTERFACE SQLite::SQLite3)
  target_link_libraries(berth_engine_archive_crypto INTERFACE OpenSSL::Crypto LibArchive::LibArchive)
  set(BERTH_ENGINE_STATIC OFF)
endif()
