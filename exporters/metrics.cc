#include "exporters/metrics.h"

#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

namespace ts::exporters {

prometheus::ClientMetric* MetricsSink::add(const std::string& name, const std::string& help,
                                           prometheus::MetricType type,
                                           const MetricLabels& labels) {
  auto [it, inserted] = index_.try_emplace(name, families_.size());
  if (inserted) {
    prometheus::MetricFamily f;
    f.name = name;
    f.help = help;
    f.type = type;
    families_.push_back(std::move(f));
  }
  prometheus::MetricFamily& f = families_[it->second];
  if (f.type != type) {
    ++type_conflicts_;
    return nullptr;
  }
  prometheus::ClientMetric& m = f.metric.emplace_back();
  m.label.reserve(labels.size());
  for (const auto& [k, v] : labels) m.label.push_back({k, v});
  return &m;
}

void MetricsSink::counter(const std::string& name, const std::string& help,
                          const MetricLabels& labels, double value) {
  if (auto* m = add(name, help, prometheus::MetricType::Counter, labels)) m->counter.value = value;
}

void MetricsSink::gauge(const std::string& name, const std::string& help,
                        const MetricLabels& labels, double value) {
  if (auto* m = add(name, help, prometheus::MetricType::Gauge, labels)) m->gauge.value = value;
}

void MetricsSink::histogram(const std::string& name, const std::string& help,
                            const MetricLabels& labels, const std::vector<double>& bucket_bounds,
                            const std::vector<uint64_t>& bucket_counts, double sum,
                            uint64_t count) {
  auto* m = add(name, help, prometheus::MetricType::Histogram, labels);
  if (!m) return;
  m->histogram.sample_count = count;
  m->histogram.sample_sum = sum;
  uint64_t cumulative = 0;
  for (std::size_t i = 0; i < bucket_bounds.size(); ++i) {
    cumulative += i < bucket_counts.size() ? bucket_counts[i] : 0;
    m->histogram.bucket.push_back({cumulative, bucket_bounds[i]});
  }
  m->histogram.bucket.push_back({count, std::numeric_limits<double>::infinity()});
}

// The prometheus::Collectable the exposer scrapes. Its mutex guards only the callback list
// (registration vs. scrape); workers never take it.
class MetricsRegistry::Collector : public prometheus::Collectable {
 public:
  void add(Callback cb) {
    std::lock_guard<std::mutex> lock(mu_);
    callbacks_.push_back(std::move(cb));
  }
  std::vector<prometheus::MetricFamily> Collect() const override {
    MetricsSink sink;
    std::lock_guard<std::mutex> lock(mu_);
    for (const Callback& cb : callbacks_) cb(sink);
    return sink.take();
  }

 private:
  mutable std::mutex mu_;
  std::vector<Callback> callbacks_;
};

MetricsRegistry::MetricsRegistry()
    : collector_(std::make_shared<Collector>()), collectable_(collector_) {}

MetricsRegistry::~MetricsRegistry() { stop_endpoint(); }

void MetricsRegistry::add_callback(Callback cb) { collector_->add(std::move(cb)); }

std::vector<prometheus::MetricFamily> MetricsRegistry::collect() const {
  return collector_->Collect();
}

std::string MetricsRegistry::text() const {
  return prometheus::TextSerializer().Serialize(collect());
}

bool MetricsRegistry::write_file(const std::string& path, std::string* error) const {
  const std::string body = text();
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const auto fail = [&](const char* what) {
    if (error) *error = std::string(what) + " " + tmp + ": " + std::strerror(errno);
    return false;
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot create");
  std::size_t done = 0;
  while (done < body.size()) {
    const ssize_t n = ::write(fd, body.data() + done, body.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      errno = e;
      return fail("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    errno = e;
    return fail("cannot sync");
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    ::unlink(tmp.c_str());
    if (error) *error = "cannot rename " + tmp + " to " + path + ": " + std::strerror(e);
    return false;
  }
  return true;
}

namespace {

// Binds a throwaway socket to host:port so an unusable address gets the kernel's own reason
// ("Address already in use") instead of civetweb's generic start failure.
bool probe_bind(const std::string& host_port, std::string* reason) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    *reason = "expected HOST:PORT";
    return false;
  }
  std::string host = host_port.substr(0, colon);
  const std::string port = host_port.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (const int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints,
                                   &res);
      rc != 0) {
    *reason = ::gai_strerror(rc);
    return false;
  }
  bool ok = false;
  for (addrinfo* ai = res; ai && !ok; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      *reason = std::strerror(errno);
      continue;
    }
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);  // as civetweb does
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 1) == 0) ok = true;
    else *reason = std::strerror(errno);
    ::close(fd);
  }
  ::freeaddrinfo(res);
  return ok;
}

}  // namespace

bool MetricsRegistry::start_endpoint(const std::string& host_port, std::string* error) {
  stop_endpoint();
  std::string reason;
  if (!probe_bind(host_port, &reason)) {
    if (error) *error = "cannot serve metrics on " + host_port + ": " + reason;
    return false;
  }
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(host_port, 2);
    exposer->RegisterCollectable(collectable_, "/metrics");
    exposer_ = std::move(exposer);
  } catch (const std::exception& e) {
    // civetweb failed to start (e.g. the port was taken between the probe and now).
    if (error) *error = "cannot serve metrics on " + host_port + ": " + e.what();
    return false;
  }
  return true;
}

void MetricsRegistry::stop_endpoint() { exposer_.reset(); }

std::vector<int> MetricsRegistry::endpoint_ports() const {
  return exposer_ ? exposer_->GetListeningPorts() : std::vector<int>{};
}

}  // namespace ts::exporters
