#include "ui/pages.h"

#include <mstch/mstch.hpp>
#include <stdexcept>

namespace gh::ui {

namespace {

mstch::node to_node(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mstch::map m;
      for (auto it = j.begin(); it != j.end(); ++it) m.emplace(it.key(), to_node(*it));
      return m;
    }
    case nlohmann::json::value_t::array: {
      mstch::array a;
      for (const auto& v : j) a.push_back(to_node(v));
      return a;
    }
    case nlohmann::json::value_t::string:
      return j.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return j.get<bool>();
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(j.get<int64_t>());
    case nlohmann::json::value_t::number_float:
      return j.dump();
    default:
      return mstch::node();
  }
}

const char* title_of(const std::string& page) {
  if (page == "login_email") return "Sign in";
  if (page == "chooser") return "Choose how to sign in";
  if (page == "error") return "Sign-in failed";
  if (page == "auto_post") return "Continuing to your identity provider";
  if (page == "testidp_form") return "Test IdP sign-in";
  if (page == "test_result") return "Connection test result";
  return "Gatehouse";
}

}  // namespace

std::string render_page(const std::string& page, const nlohmann::json& view,
                        const std::string& nonce) {
  const auto& all = templates();
  auto it = all.find(page);
  if (it == all.end()) throw std::runtime_error("no template " + page);
  nlohmann::json v = view;
  v["nonce"] = nonce;
  if (!v.contains("title")) v["title"] = title_of(page);
  std::map<std::string, std::string> partials = {{"head", all.at("head")},
                                                 {"foot", all.at("foot")}};
  return mstch::render(it->second, to_node(v), partials);
}

std::string content_security_policy(const std::string& nonce) {
  return "default-src 'none'; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce +
         "'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";
}

}  // namespace gh::ui
