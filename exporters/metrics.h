// MetricsRegistry: the Prometheus view of the sensor. Components register callbacks at
// start-up; at scrape time (HTTP endpoint thread, or main writing metrics.prom) each callback
// reads its single-writer atomic counters (no locks, never a worker's lock) and reports them
// through a MetricsSink. Nothing here runs on a worker; metric objects are built per scrape.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

namespace prometheus {
class Exposer;
}

namespace ts::exporters {

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Collects one scrape. Samples with the same name form one family; its help and type are
// taken from the first sample (a later sample of that name with another type is dropped and
// counted in type_conflicts()). Label values may hold any bytes: the serializer escapes
// them. Names must follow Prometheus rules (tradesentry_ prefix, _total, base units).
class MetricsSink {
 public:
  void counter(const std::string& name, const std::string& help, const MetricLabels& labels,
               double value);
  void gauge(const std::string& name, const std::string& help, const MetricLabels& labels,
             double value);
  // bucket_bounds ascending; bucket_counts[i] = observations in (bounds[i-1], bounds[i]]
  // (per bucket, not cumulative), same size as bucket_bounds; observations above the last
  // bound are count - sum(bucket_counts). Written cumulatively with the +Inf bucket = count.
  void histogram(const std::string& name, const std::string& help, const MetricLabels& labels,
                 const std::vector<double>& bucket_bounds,
                 const std::vector<uint64_t>& bucket_counts, double sum, uint64_t count);

  std::vector<prometheus::MetricFamily> take() { return std::move(families_); }
  uint64_t type_conflicts() const noexcept { return type_conflicts_; }

 private:
  prometheus::ClientMetric* add(const std::string& name, const std::string& help,
                                prometheus::MetricType type, const MetricLabels& labels);

  std::vector<prometheus::MetricFamily> families_;  // in order of first appearance
  std::map<std::string, std::size_t> index_;
  uint64_t type_conflicts_ = 0;
};

class MetricsRegistry {
 public:
  using Callback = std::function<void(MetricsSink&)>;

  MetricsRegistry();
  ~MetricsRegistry();  // stop_endpoint()
  MetricsRegistry(const MetricsRegistry&) = delete;
  MetricsRegistry& operator=(const MetricsRegistry&) = delete;

  // Registered at start-up. The owner of whatever a callback reads keeps it alive until
  // stop_endpoint() (or the registry's destruction). Callbacks run in registration order.
  void add_callback(Callback cb);

  // One scrape: runs every callback.
  std::vector<prometheus::MetricFamily> collect() const;
  // The Prometheus text exposition format (prometheus::TextSerializer).
  std::string text() const;
  // metrics.prom: written to a temporary file in the same directory, fsynced, then renamed
  // over `path`, so a reader (node_exporter's textfile collector) never sees a partial file.
  [[nodiscard]] bool write_file(const std::string& path, std::string* error = nullptr) const;

  // Serves /metrics on "HOST:PORT" ("[::1]:9888"; port 0 picks a free port, see
  // endpoint_ports()). An address in use or not available returns false with one clear
  // message: a start-up error, exit 1.
  [[nodiscard]] bool start_endpoint(const std::string& host_port, std::string* error);
  void stop_endpoint();
  std::vector<int> endpoint_ports() const;

  // The collectable scraped by the endpoint (for another Exposer, or tests).
  std::shared_ptr<prometheus::Collectable> collectable() const { return collectable_; }

 private:
  class Collector;
  std::shared_ptr<Collector> collector_;
  std::shared_ptr<prometheus::Collectable> collectable_;  // = collector_
  std::unique_ptr<prometheus::Exposer> exposer_;
};

}  // namespace ts::exporters
