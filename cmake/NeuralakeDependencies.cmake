# Third-party dependencies. Everything comes from Debian packages except DuckDB, which
# scripts/setup.sh unpacks into ~/.cache/neuralake/duckdb-<version>/{include,lib} from the official
# npm packages. -DDUCKDB_ROOT=<dir> may instead point at an official libduckdb release
# (duckdb.hpp and libduckdb.so side by side).
find_package(Threads REQUIRED)
find_package(Boost 1.81 REQUIRED)                 # Beast/Asio (header-only) for the HTTP server
find_package(CURL REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(GTest REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
find_package(PostgreSQL REQUIRED)
find_package(yaml-cpp REQUIRED)
find_library(READLINE_LIBRARY readline REQUIRED)  # interactive `neuralake sql`
find_package(simdjson REQUIRED)                   # JSON messages in ingestion

set(NEURALAKE_DUCKDB_VERSION "1.4.4")
if(NOT DUCKDB_ROOT)
  if(DEFINED ENV{NEURALAKE_CACHE})
    set(DUCKDB_ROOT "$ENV{NEURALAKE_CACHE}/duckdb-${NEURALAKE_DUCKDB_VERSION}")
  else()
    set(DUCKDB_ROOT "$ENV{HOME}/.cache/neuralake/duckdb-${NEURALAKE_DUCKDB_VERSION}")
  endif()
endif()
find_path(DUCKDB_INCLUDE_DIR duckdb.hpp PATHS ${DUCKDB_ROOT}/include ${DUCKDB_ROOT} NO_DEFAULT_PATH)
find_library(DUCKDB_LIBRARY duckdb PATHS ${DUCKDB_ROOT}/lib ${DUCKDB_ROOT} NO_DEFAULT_PATH)
if(NOT DUCKDB_INCLUDE_DIR OR NOT DUCKDB_LIBRARY)
  message(FATAL_ERROR "DuckDB ${NEURALAKE_DUCKDB_VERSION} not found under '${DUCKDB_ROOT}'. "
                      "Run 'make setup' (or scripts/setup.sh duckdb), or pass -DDUCKDB_ROOT=<dir>.")
endif()
add_library(duckdb_shared SHARED IMPORTED GLOBAL)
set_target_properties(duckdb_shared PROPERTIES
  IMPORTED_LOCATION ${DUCKDB_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${DUCKDB_INCLUDE_DIR})
# Binaries find libduckdb.so where it was found at build time.
set(CMAKE_BUILD_RPATH "${DUCKDB_ROOT}/lib;${DUCKDB_ROOT}")
set(CMAKE_INSTALL_RPATH "${DUCKDB_ROOT}/lib;${DUCKDB_ROOT}")
message(STATUS "DuckDB: ${DUCKDB_LIBRARY} (headers ${DUCKDB_INCLUDE_DIR})")
