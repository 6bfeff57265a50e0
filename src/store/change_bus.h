// In-process fan-out of "something changed" so that caches drop stale entries. Local writes
// publish after commit; on PostgreSQL, other nodes' writes arrive through LISTEN/NOTIFY
// (pg_listener.h) and a lost listener connection publishes flush_all().
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace gh::store {

struct Change {
  std::string topic;  // "environment", later "organization", "connection", "session", ...
  std::string key;    // e.g. the environment name; empty with topic "*" = flush everything
  bool flush_all() const { return topic == "*"; }
};

class ChangeBus {
 public:
  using Subscriber = std::function<void(const Change&)>;
  void subscribe(Subscriber s) {
    std::lock_guard lock(mu_);
    subscribers_.push_back(std::move(s));
  }
  void publish(const Change& change) const {
    std::vector<Subscriber> copy;
    {
      std::lock_guard lock(mu_);
      copy = subscribers_;
    }
    for (const auto& s : copy) s(change);
  }
  void publish_flush_all() const { publish({"*", ""}); }

  // Wire format of a NOTIFY payload: "topic\tkey".
  static std::string encode(const Change& c) { return c.topic + "\t" + c.key; }
  static Change decode(const std::string& payload) {
    const size_t tab = payload.find('\t');
    if (tab == std::string::npos) return {"*", ""};
    return {payload.substr(0, tab), payload.substr(tab + 1)};
  }

 private:
  mutable std::mutex mu_;
  std::vector<Subscriber> subscribers_;
};

}  // namespace gh::store
