#include "core/config.h"

#include <gtest/gtest.h>

#include <fstream>

#include "test_store.h"

namespace gh {
namespace {

TEST(Config, DefaultsAreDocumentedValues) {
  auto c = load_config(std::nullopt, {}, {});
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->listen, "127.0.0.1:8080");
  EXPECT_EQ(c->listen_port, 8080);
  EXPECT_EQ(c->public_url, "http://127.0.0.1:8080");
  EXPECT_EQ(c->store, "sqlite:./var/gatehouse.db");
  EXPECT_EQ(c->sqlite_synchronous, "full");
}

TEST(Config, FileThenEnvironmentThenFlags) {
  testing::TempDir dir;
  const std::string file = dir.path() + "/gatehouse.toml";
  std::ofstream(file) << "listen = \"127.0.0.1:9000\"\n"
                         "data_dir = \"/srv/gh\"\n"
                         "log_level = \"warn\"\n"
                         "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n";
  auto from_file = load_config(file, {}, {});
  ASSERT_TRUE(from_file) << from_file.error().text();
  EXPECT_EQ(from_file->listen_port, 9000);
  EXPECT_EQ(from_file->store, "sqlite:/srv/gh/gatehouse.db");
  EXPECT_EQ(from_file->trusted_proxies.size(), 2u);

  auto env_wins = load_config(file, {{"GATEHOUSE_LISTEN", "127.0.0.1:9001"}}, {});
  ASSERT_TRUE(env_wins);
  EXPECT_EQ(env_wins->listen_port, 9001);
  EXPECT_EQ(env_wins->log_level, "warn");

  auto flag_wins =
      load_config(file, {{"GATEHOUSE_LISTEN", "127.0.0.1:9001"}}, {{"listen", "127.0.0.1:9002"}});
  ASSERT_TRUE(flag_wins);
  EXPECT_EQ(flag_wins->listen_port, 9002);
}

TEST(Config, BadValuesAreRefusedWithTheSettingName) {
  auto bad_int = load_config(std::nullopt, {{"GATEHOUSE_IO_THREADS", "lots"}}, {});
  ASSERT_FALSE(bad_int);
  EXPECT_EQ(bad_int.error().code, errc::ConfigInvalid);
  EXPECT_NE(bad_int.error().text().find("io_threads"), std::string::npos);
  EXPECT_NE(bad_int.error().text().find("GATEHOUSE_IO_THREADS"), std::string::npos);

  EXPECT_FALSE(load_config(std::nullopt, {}, {{"listen", "nohostport"}}));
  EXPECT_FALSE(load_config(std::nullopt, {}, {{"sqlite_synchronous", "off"}}));
  EXPECT_FALSE(load_config(std::nullopt, {}, {{"tls_cert", "/x.pem"}}));  // needs tls_key
  EXPECT_FALSE(load_config(std::nullopt, {}, {{"public_url", "ftp://x"}}));
  EXPECT_FALSE(load_config(std::nullopt, {}, {{"nonsense", "1"}}));

  testing::TempDir dir;
  const std::string file = dir.path() + "/broken.toml";
  std::ofstream(file) << "listen = \n";
  auto broken = load_config(file, {}, {});
  ASSERT_FALSE(broken);
  EXPECT_NE(broken.error().text().find("line 1"), std::string::npos);
}

TEST(Config, LoopbackDetection) {
  EXPECT_TRUE(is_loopback_url("http://127.0.0.1:8080"));
  EXPECT_TRUE(is_loopback_url("http://localhost/x"));
  EXPECT_TRUE(is_loopback_url("http://[::1]:80"));
  EXPECT_FALSE(is_loopback_url("http://example.com"));
  EXPECT_FALSE(is_loopback_url("http://127.0.0.1.evil.com"));
  EXPECT_FALSE(is_loopback_url("http://user@10.0.0.1"));
}

TEST(Config, DescribeRedactsStorePassword) {
  auto c = load_config(std::nullopt, {}, {{"store", "postgres://gh:s3cret@db:5432/gh"}});
  ASSERT_TRUE(c);
  const std::string text = describe_config(*c);
  EXPECT_EQ(text.find("s3cret"), std::string::npos);
  EXPECT_NE(text.find("postgres://gh:***@db:5432/gh"), std::string::npos);
}

}  // namespace
}  // namespace gh

namespace gh {
namespace {
TEST(Config, EverySettingIsDocumented) {
  std::ifstream in(GATEHOUSE_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(in);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (const auto& s : config_settings()) {
    EXPECT_NE(doc.find("| `" + s.name + "` |"), std::string::npos)
        << "docs/configuration.md lacks " << s.name;
  }
}
}  // namespace
}  // namespace gh

namespace gh {
namespace {
// The other direction: every documented setting is one the code knows (two concurrent edits
// once dropped settings from the code while their documentation stayed).
TEST(Config, EveryDocumentedSettingExists) {
  std::ifstream in(GATEHOUSE_SOURCE_DIR "/docs/configuration.md");
  ASSERT_TRUE(in);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const std::string name = line.substr(3, line.find('`', 3) - 3);
    bool known = false;
    for (const auto& s : config_settings()) known = known || s.name == name;
    EXPECT_TRUE(known) << "docs/configuration.md documents '" << name << "' which the code lacks";
  }
}
}  // namespace
}  // namespace gh
