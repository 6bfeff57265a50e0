#include "core/encoding.h"

#include <gtest/gtest.h>

#include <vector>

namespace gh {
namespace {

TEST(Encoding, Base64UrlRoundTripAndRfc4648Vectors) {
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  for (std::string s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\1\2\xff", 4)}) {
    EXPECT_EQ(base64url_decode(base64url_encode(s)), s);
    EXPECT_EQ(base64_decode(base64_encode(s)), s);
  }
}

TEST(Encoding, Base64RejectsMalformed) {
  EXPECT_FALSE(base64url_decode("Zg="));   // padding is not base64url
  EXPECT_FALSE(base64url_decode("Z"));     // impossible length
  EXPECT_FALSE(base64url_decode("Zh"));    // non-canonical trailing bits
  EXPECT_FALSE(base64url_decode("Zm+v"));  // standard alphabet
  EXPECT_FALSE(base64_decode("Zm8"));      // missing padding
}

TEST(Encoding, PercentDecoding) {
  EXPECT_EQ(percent_decode("a%20b", false), "a b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b", false), "a+b");
  EXPECT_FALSE(percent_decode("%", false));
  EXPECT_FALSE(percent_decode("%2", false));
  EXPECT_FALSE(percent_decode("%zz", false));
  EXPECT_EQ(percent_encode("a b/é"), "a%20b%2F%C3%A9");
}

TEST(Encoding, QueryParsingKeepsOrderAndRepeats) {
  auto p = parse_query("a=1&b=x%20y&a=2&flag&&c=");
  ASSERT_TRUE(p);
  ASSERT_EQ(p->size(), 5u);
  EXPECT_EQ((*p)[1], (std::pair<std::string, std::string>{"b", "x y"}));
  EXPECT_EQ((*p)[2].second, "2");
  EXPECT_EQ((*p)[3], (std::pair<std::string, std::string>{"flag", ""}));
  EXPECT_FALSE(parse_query("a=%G0"));
}

TEST(Encoding, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xc3\xa9 \xf0\x9f\x94\x91"));
  EXPECT_FALSE(is_valid_utf8("\xc3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\xff"));
}

TEST(Encoding, HtmlEscapeCoversTextAndBothAttributeQuotes) {
  EXPECT_EQ(html_escape(R"(<a href="x" title='y'>&</a>)"),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_EQ(html_escape("plain é"), "plain é");
  EXPECT_EQ(html_escape(""), "");
}

}  // namespace
}  // namespace gh
