# Every dependency is a Debian package (scripts/deps). Imported targets are SYSTEM so that
# their headers never trip our -Werror.
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.11 CONFIG REQUIRED)

if(GATEHOUSE_FUZZ)
  # The fuzz preset links only the pure protocol cores: no Boost, no store.
  return()
endif()

find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL 3.0 REQUIRED)
find_package(CURL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(PostgreSQL REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tl-expected CONFIG REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(TOMLPP REQUIRED IMPORTED_TARGET tomlplusplus)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)  # tenant-supplied patterns (catalog)

# SOCI 4.0.3: Debian ships neither a CMake config nor a .pc file; backends are dlopen'ed.
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
find_library(SOCI_CORE_LIBRARY soci_core REQUIRED)
add_library(soci::core INTERFACE IMPORTED)
set_target_properties(soci::core PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}"
  INTERFACE_SYSTEM_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}"
  INTERFACE_LINK_LIBRARIES "${SOCI_CORE_LIBRARY};${CMAKE_DL_LIBS}")

if(GATEHOUSE_TESTS)
  find_package(GTest CONFIG REQUIRED)
endif()
if(GATEHOUSE_BENCH)
  find_package(benchmark CONFIG REQUIRED)
endif()
