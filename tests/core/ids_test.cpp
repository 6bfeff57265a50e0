#include "core/ids.h"

#include <gtest/gtest.h>

#include <set>

namespace gh {
namespace {

TEST(Ids, UuidV7IsWellFormedTimeOrderedAndUnique) {
  FakeClock clock;
  SeededRandom random(1);
  std::set<std::string> seen;
  std::string previous;
  for (int i = 0; i < 1000; ++i) {
    clock.advance(std::chrono::milliseconds(1));
    auto id = new_uuid_v7(clock, random);
    EXPECT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    EXPECT_GT(id, previous);
    previous = id;
    EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_FALSE(is_uuid("not-a-uuid"));
  EXPECT_FALSE(is_uuid("0189ABCD-0000-7000-8000-000000000000"));  // uppercase
}

TEST(Ids, Rfc3339) {
  EXPECT_EQ(format_rfc3339(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_rfc3339(1'800'000'000'123), "2027-01-15T08:00:00.123Z");
}

}  // namespace
}  // namespace gh
