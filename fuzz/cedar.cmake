# Cedar parser fuzzers (preset "fuzz"): the engine's sources are compiled into each target
# directly because src/ is not processed in that preset.
file(GLOB GATEHOUSE_CEDAR_FUZZ_SOURCES ${PROJECT_SOURCE_DIR}/src/authz/cedar/*.cpp)
gatehouse_add_fuzzer(cedar_parser_fuzzer ${CMAKE_CURRENT_SOURCE_DIR}/cedar_parser_fuzzer.cpp
                     ${GATEHOUSE_CEDAR_FUZZ_SOURCES})
gatehouse_add_fuzzer(cedar_schema_fuzzer ${CMAKE_CURRENT_SOURCE_DIR}/cedar_schema_fuzzer.cpp
                     ${GATEHOUSE_CEDAR_FUZZ_SOURCES})
