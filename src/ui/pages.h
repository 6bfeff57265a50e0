// Hosted login pages: server-rendered HTML from the mustache templates in ui/templates/
// (values HTML-escaped by mstch), each with a per-response CSP nonce for its one <style> (and
// the auto-post form's one <script>).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace gh::ui {

// Every template by name (generated from ui/templates/*.mustache).
const std::map<std::string, std::string>& templates();

// Renders `page` with `view` (JSON objects, arrays, strings, numbers and booleans).
std::string render_page(const std::string& page, const nlohmann::json& view,
                        const std::string& nonce);

// The Content-Security-Policy that goes with a page rendered with `nonce`.
std::string content_security_policy(const std::string& nonce);

}  // namespace gh::ui
