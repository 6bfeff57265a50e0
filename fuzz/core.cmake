# The pure byte-level parsers of core/: base64url, percent-decoding, query strings, UTF-8.
gatehouse_add_fuzzer(fuzz_core_encoding ${CMAKE_CURRENT_LIST_DIR}/core_encoding.cpp
                     ${PROJECT_SOURCE_DIR}/src/core/encoding.cpp)
