#include <gtest/gtest.h>

#include "authz/cedar/parser.h"

namespace gh::cedar {
namespace {

TEST(CedarParser, Smoke) {
  EXPECT_TRUE(parse_policies("permit(principal, action, resource);").ok());
}

}  // namespace
}  // namespace gh::cedar
