# SCIM filters and PATCH paths (src/directory/filter.cpp, patch.cpp): pure, no store.
gatehouse_add_fuzzer(fuzz_scim_filter ${CMAKE_CURRENT_LIST_DIR}/scim_filter.cpp
                     ${PROJECT_SOURCE_DIR}/src/directory/filter.cpp
                     ${PROJECT_SOURCE_DIR}/src/directory/patch.cpp)
