# The authorization request parser (oauth/authorization_request.cpp): every query string a
# browser can bring to /oauth2/authorize, validated against a fixed application.
gatehouse_add_fuzzer(fuzz_authorization_request ${CMAKE_CURRENT_LIST_DIR}/authorization_request.cpp
                     ${PROJECT_SOURCE_DIR}/src/oauth/authorization_request.cpp
                     ${PROJECT_SOURCE_DIR}/src/tenancy/domain_name.cpp
                     ${PROJECT_SOURCE_DIR}/src/core/encoding.cpp
                     ${PROJECT_SOURCE_DIR}/src/core/error.cpp)
