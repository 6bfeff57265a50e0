#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "core/encoding.h"
#include "crypto/error_codes.h"
#include "crypto/kek/local_kek.h"

namespace gh::crypto {
namespace {

using namespace std::literals;

Random& rnd() { return SecureRandom::instance(); }

std::string temp_file(const std::string& name, const std::string& content) {
  auto path = std::filesystem::temp_directory_path() /
              ("gh-kek-" + std::to_string(::getpid()) + "-" + name);
  std::ofstream(path, std::ios::binary) << content;
  return path.string();
}

TEST(LocalKek, WrapUnwrapBindsTheContext) {
  auto kek = *LocalKek::from_bytes("local:1", rnd().bytes(32), rnd());
  const std::string key = rnd().bytes(32);
  auto wrapped = kek->wrap(key, "env\0org\0dk_1"sv);
  ASSERT_TRUE(wrapped);
  EXPECT_EQ(wrapped->size(), 1 + 12 + 32 + 16u);
  EXPECT_EQ(*kek->unwrap(*wrapped, "env\0org\0dk_1"sv), key);
  EXPECT_EQ(kek->unwrap(*wrapped, "env\0other\0dk_1"sv).error().code, errc::CryptoDecryptFailed);
  auto other = *LocalKek::from_bytes("local:2", rnd().bytes(32), rnd());
  EXPECT_EQ(other->unwrap(*wrapped, "env\0org\0dk_1"sv).error().code, errc::CryptoDecryptFailed);
}

TEST(LocalKek, MasterKeyFromFileAndEnvironment) {
  const std::string raw = rnd().bytes(32);
  const std::string context = "c";
  auto reference = *LocalKek::from_bytes("ref", raw, rnd());
  auto wrapped = *reference->wrap("0123456789abcdef0123456789abcdef", context);
  for (const std::string& content :
       {raw, to_hex(raw) + "\n", base64_encode(raw) + "\n", base64url_encode(raw)}) {
    auto kek = LocalKek::from_file("f", temp_file("k", content), rnd());
    ASSERT_TRUE(kek) << kek.error().detail;
    EXPECT_TRUE((*kek)->unwrap(wrapped, context));
  }
  ::setenv("GH_TEST_MASTER_KEY", to_hex(raw).c_str(), 1);
  auto env = LocalKek::from_env("e", "GH_TEST_MASTER_KEY", rnd());
  ASSERT_TRUE(env);
  EXPECT_TRUE((*env)->unwrap(wrapped, context));
  ::unsetenv("GH_TEST_MASTER_KEY");
  EXPECT_EQ(LocalKek::from_env("e", "GH_TEST_MASTER_KEY", rnd()).error().code,
            errc::CryptoKekInvalid);
  EXPECT_EQ(
      LocalKek::from_file("f", temp_file("short", to_hex(rnd().bytes(20))), rnd()).error().code,
      errc::CryptoKekInvalid);
  EXPECT_FALSE(LocalKek::from_file("f", "/nonexistent/key", rnd()));
  EXPECT_FALSE(LocalKek::from_bytes("", raw, rnd()));
}

TEST(KekRegistry, FindsByIdAndRefusesDuplicates) {
  KekRegistry registry;
  ASSERT_TRUE(registry.add(*LocalKek::from_bytes("local:1", rnd().bytes(32), rnd())));
  EXPECT_FALSE(registry.add(*LocalKek::from_bytes("local:1", rnd().bytes(32), rnd())));
  EXPECT_TRUE(registry.find("local:1"));
  EXPECT_EQ(registry.find("local:9").error().code, errc::CryptoKekNotFound);
}

}  // namespace
}  // namespace gh::crypto
