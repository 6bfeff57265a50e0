#include "crypto/seal/data_key_cache.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <mutex>

namespace gh::crypto {

namespace {
std::string org_key(std::string_view environment, std::string_view organization) {
  std::string k(environment);
  k += '\0';
  k += organization;
  return k;
}
}  // namespace

DataKeyCache::DataKeyCache(const Clock& clock, std::chrono::milliseconds ttl, size_t max_entries)
    : clock_(clock),
      ttl_(std::clamp(ttl, std::chrono::milliseconds(0), kMaxDataKeyCacheTtl)),
      max_entries_(std::max<size_t>(max_entries, 1)) {}

DataKeyCache::~DataKeyCache() { clear(); }

std::optional<DataKeyBytes> DataKeyCache::get(std::string_view key_id, std::string_view environment,
                                              std::string_view organization) const {
  const int64_t now = clock_.now_ms();
  std::shared_lock lock(mutex_);
  auto it = keys_.find(key_id);
  if (it == keys_.end() || now >= it->second.expires_ms || it->second.environment != environment ||
      it->second.organization != organization) {
    return std::nullopt;
  }
  return it->second.key;
}

void DataKeyCache::put(std::string key_id, const DataKeyBytes& key, std::string environment,
                       std::string organization) {
  if (ttl_.count() == 0) return;
  const int64_t now = clock_.now_ms();
  std::unique_lock lock(mutex_);
  if (keys_.size() >= max_entries_) evict_locked(now);
  auto& entry = keys_[std::move(key_id)];
  entry.key = key;
  entry.environment = std::move(environment);
  entry.organization = std::move(organization);
  entry.expires_ms = now + ttl_.count();
}

std::optional<std::string> DataKeyCache::active_id(std::string_view environment,
                                                   std::string_view organization) const {
  const int64_t now = clock_.now_ms();
  const std::string k = org_key(environment, organization);
  std::shared_lock lock(mutex_);
  auto it = active_.find(k);
  if (it == active_.end() || now >= it->second.expires_ms) return std::nullopt;
  return it->second.key_id;
}

void DataKeyCache::put_active(std::string_view environment, std::string_view organization,
                              std::string key_id) {
  if (ttl_.count() == 0) return;
  const int64_t now = clock_.now_ms();
  std::unique_lock lock(mutex_);
  if (active_.size() >= max_entries_) active_.clear();
  active_[org_key(environment, organization)] = {std::move(key_id), now + ttl_.count()};
}

void DataKeyCache::forget_organization(std::string_view environment,
                                       std::string_view organization) {
  std::unique_lock lock(mutex_);
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (it->second.environment == environment && it->second.organization == organization) {
      OPENSSL_cleanse(it->second.key.data(), it->second.key.size());
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
  active_.erase(org_key(environment, organization));
}

void DataKeyCache::clear() {
  std::unique_lock lock(mutex_);
  for (auto& [id, entry] : keys_) OPENSSL_cleanse(entry.key.data(), entry.key.size());
  keys_.clear();
  active_.clear();
}

size_t DataKeyCache::size() const {
  std::shared_lock lock(mutex_);
  return keys_.size();
}

void DataKeyCache::evict_locked(int64_t now_ms) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    if (now_ms >= it->second.expires_ms) {
      OPENSSL_cleanse(it->second.key.data(), it->second.key.size());
      it = keys_.erase(it);
    } else {
      ++it;
    }
  }
  if (keys_.size() >= max_entries_) {
    for (auto& [id, entry] : keys_) OPENSSL_cleanse(entry.key.data(), entry.key.size());
    keys_.clear();
  }
}

}  // namespace gh::crypto
