// `gatehouse webhook ...`: webhook endpoints, their secrets, delivery history and manual
// redelivery, through the same service as the admin API (audited with actor "cli").
#include <iostream>

#include "app/command_registry.h"
#include "app/options.h"
#include "events/webhook_service.h"

namespace gh::app {
namespace {

const std::vector<std::string> kFlags = {"data_dir", "store", "master_key_file",
                                         "kek_pkcs11_modules", "log_level"};

struct WebhookArgs {
  ConfigFlags flags;
  std::string env = "sandbox";
  std::string org, id, url, description, delivery, before;
  std::vector<std::string> event_types;
  int64_t overlap_s = 24 * 3600;
  int limit = 50;
  bool disable = false, enable = false;
};

// Opens the store and runs `fn` with the service and the scope.
void with_service(const WebhookArgs& a,
                  const std::function<void(events::WebhookService&, events::WebhookScope)>& fn) {
  CliSession s = open_cli_session(a.flags, a.env);
  auto sealing = open_sealing_or_exit(s);
  events::WebhookService service(*s.store, *sealing,
                                 {s.config.webhook_retry_base_ms, s.config.webhook_retry_max_ms,
                                  s.config.webhook_max_attempts});
  fn(service, events::WebhookScope{s.env, a.org});
}

}  // namespace

GATEHOUSE_REGISTER_COMMAND(webhook, [](CLI::App& root) {
  auto* wh = root.add_subcommand("webhook", "Manage webhook endpoints and deliveries");
  wh->require_subcommand(1);
  auto add = [&](const char* name, const char* help) {
    auto args = std::make_shared<WebhookArgs>();
    auto flags = std::shared_ptr<ConfigFlags>(args, &args->flags);
    auto* cmd = wh->add_subcommand(name, help);
    add_config_flags(cmd, flags, kFlags);
    cmd->add_option("--env", args->env, "Environment (default sandbox)");
    cmd->add_option("--org", args->org, "Organization id (endpoints scoped to it)");
    return std::pair{cmd, args};
  };
  {
    auto [cmd, a] = add("create", "Create an endpoint (prints its secret once)");
    cmd->add_option("--url", a->url, "https URL (http only on loopback)")->required();
    cmd->add_option("--event-type", a->event_types, "Event type wanted (repeat; default all)");
    cmd->add_option("--description", a->description, "Free text");
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        events::EndpointInput in;
        in.url = a->url;
        in.description = a->description;
        if (!a->event_types.empty()) in.event_types = a->event_types;
        auto issued = value_or_exit(s.create(scope, in, cli_actor()));
        auto j = events::endpoint_json(issued.endpoint);
        j["secret"] = issued.secret;
        print_json(j);
      });
    });
  }
  {
    auto [cmd, a] = add("list", "List endpoints");
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& e : value_or_exit(s.list(scope))) out.push_back(events::endpoint_json(e));
        print_json(out);
      });
    });
  }
  {
    auto [cmd, a] = add("update", "Change an endpoint");
    cmd->add_option("id", a->id, "Endpoint id")->required();
    cmd->add_option("--url", a->url, "New URL");
    cmd->add_option("--event-type", a->event_types, "Event types wanted (replaces the list)");
    cmd->add_flag("--disable", a->disable, "Stop delivering to it");
    cmd->add_flag("--enable", a->enable, "Deliver to it again");
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        events::EndpointInput in;
        if (!a->url.empty()) in.url = a->url;
        if (!a->event_types.empty()) in.event_types = a->event_types;
        if (a->disable) in.enabled = false;
        if (a->enable) in.enabled = true;
        print_json(
            events::endpoint_json(value_or_exit(s.update(scope, a->id, in, -1, cli_actor()))));
      });
    });
  }
  {
    auto [cmd, a] = add("delete", "Delete an endpoint and its delivery history");
    cmd->add_option("id", a->id, "Endpoint id")->required();
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        value_or_exit(s.remove(scope, a->id, cli_actor()));
        print_json({{"deleted", a->id}});
      });
    });
  }
  {
    auto [cmd, a] =
        add("rotate-secret", "Issue a new secret; the old one signs during the overlap");
    cmd->add_option("id", a->id, "Endpoint id")->required();
    cmd->add_option("--overlap-seconds", a->overlap_s, "How long the old secret keeps signing");
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        auto issued = value_or_exit(s.rotate_secret(scope, a->id, a->overlap_s, cli_actor()));
        auto j = events::endpoint_json(issued.endpoint);
        j["secret"] = issued.secret;
        print_json(j);
      });
    });
  }
  {
    auto [cmd, a] = add("deliveries", "Delivery history of an endpoint, newest first");
    cmd->add_option("id", a->id, "Endpoint id")->required();
    cmd->add_option("--limit", a->limit, "At most this many");
    cmd->add_option("--before", a->before, "Only deliveries older than this delivery id");
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& d : value_or_exit(s.deliveries(scope, a->id, a->before, a->limit))) {
          out.push_back(events::delivery_json(d));
        }
        print_json(out);
      });
    });
  }
  {
    auto [cmd, a] = add("redeliver", "Send a delivery again (fresh attempt budget)");
    cmd->add_option("id", a->id, "Endpoint id")->required();
    cmd->add_option("delivery", a->delivery, "Delivery id")->required();
    cmd->callback([a = a] {
      with_service(*a, [&](events::WebhookService& s, events::WebhookScope scope) {
        print_json(events::delivery_json(
            value_or_exit(s.redeliver(scope, a->id, a->delivery, cli_actor()))));
      });
    });
  }
});

}  // namespace gh::app
