// YAML -> SensorConfig. Runs on the main thread at start-up and on SIGHUP, never on a
// worker. Every problem is collected (not just the first), each with file:line:col from
// yaml-cpp's marks and a message saying what was expected; the caller prints them and exits 2.
#include <arpa/inet.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <string_view>

#include "config/config.h"
#include "config/default_config.h"

namespace ts::config {

std::string ConfigError::str() const {
  std::string s = file;
  if (line > 0) {
    s += ':' + std::to_string(line);
    if (column > 0) s += ':' + std::to_string(column);
  }
  s += ": ";
  s += message;
  return s;
}

namespace {

constexpr std::size_t kKi = 1024;
constexpr std::size_t kMi = kKi * 1024;
constexpr std::size_t kGi = kMi * 1024;

// Edit distance between two short key names (Levenshtein, two rows).
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

bool parse_u64(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string lower(std::string_view s) {
  std::string r(s);
  for (char& c : r) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return r;
}

// "64m" -> 64 MiB. Suffixes are binary multiples: k|kb|kib, m|mb|mib, g|gb|gib (any case).
bool parse_size(std::string_view text, uint64_t& out) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  uint64_t n = 0;
  if (!parse_u64(text.substr(0, i), n)) return false;
  const std::string suffix = lower(text.substr(i));
  uint64_t mult = 1;
  if (suffix.empty() || suffix == "b") mult = 1;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib") mult = kKi;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib") mult = kMi;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib") mult = kGi;
  else return false;
  if (n > std::numeric_limits<uint64_t>::max() / mult) return false;
  out = n * mult;
  return true;
}

// "30s" -> 30e9 ns. A bare integer is seconds. Suffixes: ms, s, m, h.
bool parse_duration(std::string_view text, Nanos& out) {
  std::size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  uint64_t n = 0;
  if (!parse_u64(text.substr(0, i), n)) return false;
  const std::string_view suffix = text.substr(i);
  Nanos mult = kNanosPerSec;
  if (suffix.empty() || suffix == "s") mult = kNanosPerSec;
  else if (suffix == "ms") mult = kNanosPerMs;
  else if (suffix == "m") mult = 60 * kNanosPerSec;
  else if (suffix == "h") mult = 3600 * kNanosPerSec;
  else return false;
  if (n > static_cast<uint64_t>(std::numeric_limits<Nanos>::max() / mult)) return false;
  out = static_cast<Nanos>(n) * mult;
  return true;
}

// What a node is, for "got ..." in messages: scalars are quoted as written.
std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Scalar: return '"' + n.Scalar() + '"';
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Null: return "nothing";
    default: return "nothing";
  }
}

// Walks the document against the schema below, collecting errors.
class Walker {
 public:
  Walker(std::string file, std::vector<ConfigError>& errors)
      : file_(std::move(file)), errors_(errors) {}

  void error(const YAML::Mark& m, const std::string& path, const std::string& msg) {
    ConfigError e;
    e.file = file_;
    if (!m.is_null()) {
      e.line = m.line + 1;
      e.column = m.column + 1;
    }
    e.message = path.empty() ? msg : path + ": " + msg;
    errors_.push_back(std::move(e));
  }
  void expected(const YAML::Node& n, const std::string& path, const std::string& what) {
    // A missing value ("key:" and nothing) has the mark of the next token; point at the key.
    error(n.IsNull() ? key_mark_ : n.Mark(), path, "expected " + what + ", got " + describe(n));
  }

  using Handler = std::function<void(const YAML::Node& value, const std::string& path)>;
  struct Key {
    const char* name;
    Handler handle;
  };

  // A mapping whose keys must all be in `keys`; each known key's value goes to its handler.
  void map(const YAML::Node& node, const std::string& path, const std::vector<Key>& keys) {
    if (node.IsNull()) return;  // "section:" with nothing under it: all defaults
    if (!node.IsMap()) {
      expected(node, path, "a mapping");
      return;
    }
    std::set<std::string> seen;
    for (auto it = node.begin(); it != node.end(); ++it) {
      const YAML::Node k = it->first;  // a copy: it-> yields a temporary proxy
      const YAML::Node value = it->second;
      if (!k.IsScalar()) {
        expected(k, path, "a key name");
        continue;
      }
      const std::string name = k.Scalar();
      const std::string child = path.empty() ? name : path + "." + name;
      if (!seen.insert(name).second) {
        error(k.Mark(), child, "duplicate key");
        continue;
      }
      auto known = std::find_if(keys.begin(), keys.end(),
                                [&](const Key& key) { return name == key.name; });
      if (known != keys.end()) {
        key_mark_ = k.Mark();
        known->handle(value, child);
        continue;
      }
      error(k.Mark(), child, unknown_key_message(name, keys));
    }
  }

  void integer(const YAML::Node& v, const std::string& path, int64_t lo, int64_t hi,
               int64_t& out) {
    uint64_t n = 0;
    const std::string range = "an integer from " + std::to_string(lo) + " to " +
                              std::to_string(hi);
    if (!v.IsScalar() || !parse_u64(v.Scalar(), n) ||
        n > static_cast<uint64_t>(hi) || static_cast<int64_t>(n) < lo) {
      expected(v, path, range);
      return;
    }
    out = static_cast<int64_t>(n);
  }
  template <class T>
  void integer_as(const YAML::Node& v, const std::string& path, int64_t lo, int64_t hi,
                  T& out) {
    int64_t n = static_cast<int64_t>(out);
    integer(v, path, lo, hi, n);
    out = static_cast<T>(n);
  }

  // Sizes in bytes. lo_text/hi_text are how the bounds are shown ("1m").
  template <class T>
  void size(const YAML::Node& v, const std::string& path, uint64_t lo, uint64_t hi,
            const char* lo_text, const char* hi_text, T& out) {
    uint64_t n = 0;
    if (!v.IsScalar() || !parse_size(v.Scalar(), n)) {
      expected(v, path, "a size like 128m");
      return;
    }
    if (n < lo || n > hi) {
      expected(v, path, std::string("a size from ") + lo_text + " to " + hi_text);
      return;
    }
    out = static_cast<T>(n);
  }

  void duration(const YAML::Node& v, const std::string& path, Nanos lo, Nanos hi,
                const char* lo_text, const char* hi_text, Nanos& out) {
    Nanos n = 0;
    if (!v.IsScalar() || !parse_duration(v.Scalar(), n)) {
      expected(v, path, "a duration like 30s");
      return;
    }
    if (n < lo || n > hi) {
      expected(v, path, std::string("a duration from ") + lo_text + " to " + hi_text);
      return;
    }
    out = n;
  }

  void boolean(const YAML::Node& v, const std::string& path, bool& out) {
    bool b = false;
    if (!v.IsScalar() || !YAML::convert<bool>::decode(v, b)) {
      expected(v, path, "true or false");
      return;
    }
    out = b;
  }

  void text(const YAML::Node& v, const std::string& path, bool allow_empty,
              std::string& out) {
    if (v.IsNull() && allow_empty) {
      out.clear();
      return;
    }
    if (!v.IsScalar() || (!allow_empty && v.Scalar().empty())) {
      expected(v, path, allow_empty ? "a string" : "a non-empty string");
      return;
    }
    out = v.Scalar();
  }

 private:
  static std::string unknown_key_message(const std::string& name,
                                         const std::vector<Key>& keys) {
    const Key* best = nullptr;
    std::size_t best_d = std::numeric_limits<std::size_t>::max();
    for (const Key& k : keys) {
      const std::size_t d = edit_distance(name, k.name);
      if (d < best_d) {
        best_d = d;
        best = &k;
      }
    }
    // Close enough to be a typo: at most 2 edits, and fewer than half the name.
    if (best && best_d <= 2 && best_d * 2 < std::max<std::size_t>(name.size(), 2)) {
      return std::string("unknown key, did you mean \"") + best->name + "\"?";
    }
    std::string msg = "unknown key (expected one of: ";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      if (i) msg += ", ";
      msg += keys[i].name;
    }
    return msg + ")";
  }

  std::string file_;
  std::vector<ConfigError>& errors_;
  YAML::Mark key_mark_ = YAML::Mark::null_mark();  // key of the value being handled
};

bool is_power_of_two(uint64_t n) { return n != 0 && (n & (n - 1)) == 0; }

// "HOST:PORT", "[v6]:PORT"; port 1..65535. Empty disables the endpoint.
bool valid_listen(const std::string& s) {
  if (s.empty()) return true;
  const auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  const std::string host = s.substr(0, colon);
  if (host.front() == '[' ? host.back() != ']' || host.size() < 3
                          : host.find(':') != std::string::npos) {
    return false;
  }
  uint64_t port = 0;
  return parse_u64(std::string_view(s).substr(colon + 1), port) && port >= 1 && port <= 65535;
}

// A single address (no prefix), IPv4 or IPv6.
bool parse_address(const std::string& s, IpAddr& out) {
  uint8_t buf[16];
  if (inet_pton(AF_INET, s.c_str(), buf) == 1) {
    out = IpAddr::v4(buf);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), buf) == 1) {
    out = IpAddr::v6(buf);
    return true;
  }
  return false;
}

constexpr Nanos kSec = kNanosPerSec;
constexpr uint64_t kMaxMemcap = 1024 * kGi;


// A list of non-empty strings ("[A, B]"); duplicates are errors.
void string_list(Walker& w, const YAML::Node& v, const std::string& p,
                 std::vector<std::string>& out) {
  if (v.IsNull()) return;
  if (!v.IsSequence()) {
    w.expected(v, p, "a list of strings");
    return;
  }
  out.clear();
  std::set<std::string> seen;
  for (std::size_t i = 0; i < v.size(); ++i) {
    std::string s;
    const std::string q = p + "[" + std::to_string(i) + "]";
    w.text(v[i], q, false, s);
    if (s.empty()) continue;
    if (!seen.insert(s).second) {
      w.error(v[i].Mark(), q, "duplicate value " + describe(v[i]));
      continue;
    }
    out.push_back(std::move(s));
  }
}

template <class T>
void integer_list(Walker& w, const YAML::Node& v, const std::string& p, int64_t lo, int64_t hi,
                  std::vector<T>& out) {
  if (v.IsNull()) return;
  if (!v.IsSequence()) {
    w.expected(v, p, "a list of integers from " + std::to_string(lo) + " to " +
                         std::to_string(hi));
    return;
  }
  out.clear();
  for (std::size_t i = 0; i < v.size(); ++i) {
    int64_t n = -1;
    w.integer(v[i], p + "[" + std::to_string(i) + "]", lo, hi, n);
    if (n >= lo) out.push_back(static_cast<T>(n));
  }
}

void address(Walker& w, const YAML::Node& v, const std::string& p, IpAddr& out) {
  if (!v.IsScalar() || !parse_address(v.Scalar(), out))
    w.expected(v, p, "an IPv4 or IPv6 address like 10.1.2.3");
}

void fix_section(Walker& w, const YAML::Node& v, const std::string& p, FixConfig& f) {
  using Node = YAML::Node;
  using Path = std::string;
  auto count = [&w](int& out, int64_t lo, int64_t hi) {
    return [&w, &out, lo, hi](const Node& x, const Path& q) { w.integer_as(x, q, lo, hi, out); };
  };
  auto window = [&w](Nanos& out) {
    return [&w, &out](const Node& x, const Path& q) {
      w.duration(x, q, kNanosPerMs, 86400 * kSec, "1ms", "24h", out);
    };
  };
  w.map(v, p,
        {{"enabled", [&](const Node& x, const Path& q) { w.boolean(x, q, f.enabled); }},
         {"auto-detect", [&](const Node& x, const Path& q) { w.boolean(x, q, f.auto_detect); }},
         {"ports", [&](const Node& x, const Path& q) { integer_list(w, x, q, 1, 65535, f.ports); }},
         {"allowed-comp-ids",
          [&](const Node& x, const Path& q) { string_list(w, x, q, f.allowed_comp_ids); }},
         {"masked-tags",
          [&](const Node& x, const Path& q) { integer_list(w, x, q, 1, 99999, f.masked_tags); }},
         {"max-connections", [&](const Node& x, const Path& q) {
            w.integer_as(x, q, 16, 1 << 22, f.max_connections);
          }},
         {"max-sessions", [&](const Node& x, const Path& q) {
            w.integer_as(x, q, 1, 65536, f.max_sessions);
          }},
         {"max-pending-orders", [&](const Node& x, const Path& q) {
            w.integer_as(x, q, 64, 1 << 24, f.max_pending_orders);
          }},
         {"max-message", [&](const Node& x, const Path& q) {
            w.size(x, q, 256, 16 * kMi, "256", "16m", f.max_message);
          }},
         {"order-ack-timeout", window(f.order_ack_timeout)},
         {"heartbeat-grace", [&](const Node& x, const Path& q) {
            w.duration(x, q, 0, 3600 * kSec, "0s", "1h", f.heartbeat_grace);
          }},
         {"logon-failures", count(f.logon_failures, 1, 1000000)},
         {"logon-window", window(f.logon_window)},
         {"order-rate-limit", count(f.order_rate_limit, 1, 100000000)},
         {"cancel-ratio-limit", [&](const Node& x, const Path& q) {
            double d = 0;
            if (!x.IsScalar() || !YAML::convert<double>::decode(x, d) || !(d > 0.0) || d > 1000.0) {
              w.expected(x, q, "a ratio above 0 like 0.9");
              return;
            }
            f.cancel_ratio_limit = d;
          }},
         {"cancel-min-orders", count(f.cancel_min_orders, 1, 100000000)},
         {"cancel-window", window(f.cancel_window)},
         {"seq-gap-alert-min", count(f.seq_gap_alert_min, 1, 1000000000)},
         {"resend-limit", count(f.resend_limit, 1, 1000000)},
         {"resend-window", window(f.resend_window)},
         {"servers", [&](const Node& x, const Path& q) {
            if (x.IsNull()) return;
            if (!x.IsSequence()) {
              w.expected(x, q, "a list of servers (port, and optionally address, name, "
                               "allowed-comp-ids, tls)");
              return;
            }
            f.servers.clear();
            for (std::size_t i = 0; i < x.size(); ++i) {
              const Path qi = q + "[" + std::to_string(i) + "]";
              FixServerConfig s;
              s.any_address = true;
              bool have_port = false;
              w.map(x[i], qi,
                    {{"name", [&](const Node& y, const Path& r) { w.text(y, r, true, s.name); }},
                     {"address", [&](const Node& y, const Path& r) {
                        address(w, y, r, s.address);
                        s.any_address = false;
                      }},
                     {"port", [&](const Node& y, const Path& r) {
                        w.integer_as(y, r, 1, 65535, s.port);
                        have_port = true;
                      }},
                     {"allowed-comp-ids", [&](const Node& y, const Path& r) {
                        string_list(w, y, r, s.allowed_comp_ids);
                      }},
                     {"tls", [&](const Node& y, const Path& r) { w.boolean(y, r, s.tls); }}});
              if (x[i].IsMap() && !have_port) w.error(x[i].Mark(), qi, "a server needs a port");
              f.servers.push_back(std::move(s));
            }
          }}});
}

void feeds_section(Walker& w, const YAML::Node& v, const std::string& p,
                   std::vector<FeedConfig>& feeds) {
  using Node = YAML::Node;
  using Path = std::string;
  if (v.IsNull()) return;
  if (!v.IsSequence()) {
    w.expected(v, p, "a list of feeds (name, group, port, seq-offset, seq-size, ...)");
    return;
  }
  feeds.clear();
  std::set<std::string> names;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const Path q = p + "[" + std::to_string(i) + "]";
    FeedConfig f;
    bool have_group = false, have_port = false;
    w.map(v[i], q,
          {{"name", [&](const Node& x, const Path& r) {
              w.text(x, r, false, f.name);
              if (!f.name.empty() && !names.insert(f.name).second)
                w.error(x.Mark(), r, "another feed already has the name " + describe(x));
            }},
           {"group", [&](const Node& x, const Path& r) {
              address(w, x, r, f.group);
              have_group = true;
            }},
           {"port", [&](const Node& x, const Path& r) {
              w.integer_as(x, r, 1, 65535, f.port);
              have_port = true;
            }},
           {"seq-offset", [&](const Node& x, const Path& r) {
              w.integer_as(x, r, 0, 65535, f.seq_offset);
            }},
           {"seq-size", [&](const Node& x, const Path& r) {
              int64_t n = f.seq_size;
              w.integer(x, r, 1, 8, n);
              if (n != 2 && n != 4 && n != 8) {
                w.expected(x, r, "2, 4 or 8");
                return;
              }
              f.seq_size = static_cast<uint8_t>(n);
            }},
           {"byte-order", [&](const Node& x, const Path& r) {
              if (x.IsScalar() && (x.Scalar() == "big" || x.Scalar() == "little")) {
                f.big_endian = x.Scalar() == "big";
                return;
              }
              w.expected(x, r, "big or little");
            }},
           {"count-offset", [&](const Node& x, const Path& r) {
              w.integer_as(x, r, 0, 65535, f.count_offset);
            }},
           {"count-size", [&](const Node& x, const Path& r) {
              int64_t n = f.count_size;
              w.integer(x, r, 1, 4, n);
              if (n != 1 && n != 2 && n != 4) {
                w.expected(x, r, "1, 2 or 4");
                return;
              }
              f.count_size = static_cast<uint8_t>(n);
            }},
           {"silence", [&](const Node& x, const Path& r) {
              w.duration(x, r, 0, 86400 * kSec, "0s", "24h", f.silence);
            }}});
    if (v[i].IsMap()) {
      if (f.name.empty()) w.error(v[i].Mark(), q, "a feed needs a name");
      if (!have_group) w.error(v[i].Mark(), q, "a feed needs a group (its destination address)");
      if (!have_port) w.error(v[i].Mark(), q, "a feed needs a port");
    }
    feeds.push_back(std::move(f));
  }
}

void walk(Walker& w, const YAML::Node& root, SensorConfig& c) {
  using Key = Walker::Key;
  using Node = YAML::Node;
  using Path = std::string;

  auto timeouts = [&](const Node& v, const Path& p) {
    FlowTimeouts& t = c.flow_timeouts;
    auto d = [&](Nanos& out) {
      return [&w, &out](const Node& v2, const Path& p2) {
        w.duration(v2, p2, kSec, 86400 * kSec, "1s", "24h", out);
      };
    };
    w.map(v, p,
          {{"tcp-new", d(t.tcp_new)},
           {"tcp-established", d(t.tcp_established)},
           {"tcp-closed", d(t.tcp_closed)},
           {"udp-new", d(t.udp_new)},
           {"udp-established", d(t.udp_established)},
           {"icmp", d(t.icmp)},
           {"other", d(t.other)}});
  };

  // Validated after the walk: stream.per-flow must not exceed stream.memcap.
  bool per_flow_set = false;
  YAML::Mark per_flow_mark;
  std::string per_flow_text;

  // vars.address-groups / vars.port-groups: NAME: "value", kept in the order written.
  auto groups = [&](std::vector<std::pair<std::string, std::string>>& out, const char* example) {
    return [&w, &out, example](const Node& v, const Path& p) {
      if (v.IsNull()) return;
      if (!v.IsMap()) {
        w.expected(v, p, "a mapping of variable names to values");
        return;
      }
      out.clear();
      std::set<std::string> seen;
      for (auto it = v.begin(); it != v.end(); ++it) {
        const YAML::Node k = it->first;
        const YAML::Node value = it->second;
        if (!k.IsScalar()) {
          w.expected(k, p, "a variable name");
          continue;
        }
        const std::string name = k.Scalar();
        const std::string child = p + "." + name;
        const bool valid_name =
            !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
            std::all_of(name.begin(), name.end(), [](char ch) {
              return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_';
            });
        if (!valid_name) {
          w.error(k.Mark(), child,
                  "expected a variable name of letters, digits and '_' (without '$')");
          continue;
        }
        if (!seen.insert(name).second) {
          w.error(k.Mark(), child, "duplicate key");
          continue;
        }
        if (!value.IsScalar() || value.Scalar().empty()) {
          w.error(value.IsNull() ? k.Mark() : value.Mark(), child,
                  std::string("expected a value like ") + example + ", got " + describe(value));
          continue;
        }
        out.emplace_back(name, value.Scalar());
      }
    };
  };

  const std::vector<Key> top = {
      {"workers", [&](const Node& v, const Path& p) { w.integer_as(v, p, 0, 256, c.workers); }},
      {"ring-size",
       [&](const Node& v, const Path& p) {
         uint64_t n = 0;
         if (!v.IsScalar() || !parse_u64(v.Scalar(), n) || n < 64 || n > 1048576 ||
             !is_power_of_two(n)) {
           w.expected(v, p, "a power of two from 64 to 1048576");
           return;
         }
         c.ring_size = static_cast<std::size_t>(n);
       }},
      {"capture",
       [&](const Node& v, const Path& p) {
         CaptureConfig& k = c.capture;
         w.map(v, p,
               {{"snaplen", [&](const Node& x, const Path& q) {
                   w.integer_as(x, q, 64, 262144, k.snaplen);
                 }},
                {"promiscuous",
                 [&](const Node& x, const Path& q) { w.boolean(x, q, k.promiscuous); }},
                {"buffer-size", [&](const Node& x, const Path& q) {
                   w.size(x, q, 64 * kKi, kGi, "64k", "1g", k.buffer_size);
                 }},
                {"bpf", [&](const Node& x, const Path& q) { w.text(x, q, true, k.bpf); }},
                {"pool-slots", [&](const Node& x, const Path& q) {
                   w.integer_as(x, q, 64, 1 << 24, k.pool_slots);
                 }},
                {"slot-size", [&](const Node& x, const Path& q) {
                   w.size(x, q, 256, 65535, "256", "65535", k.slot_bytes);
                 }},
                {"jumbo-slots", [&](const Node& x, const Path& q) {
                   w.integer_as(x, q, 0, 65536, k.jumbo_slots);
                 }},
                {"read-timeout", [&](const Node& x, const Path& q) {
                   Nanos t = k.timeout_ms * kNanosPerMs;
                   w.duration(x, q, kNanosPerMs, kSec, "1ms", "1s", t);
                   k.timeout_ms = static_cast<int>(t / kNanosPerMs);
                 }}});
       }},
      {"decoder",
       [&](const Node& v, const Path& p) {
         DecodeConfig& d = c.decode;
         w.map(v, p,
               {{"checksum-validation",
                 [&](const Node& x, const Path& q) { w.boolean(x, q, d.validate_checksums); }},
                {"max-tunnel-depth", [&](const Node& x, const Path& q) {
                   w.integer_as(x, q, 0, 16, d.max_tunnel_depth);
                 }},
                {"vxlan-port", [&](const Node& x, const Path& q) {
                   w.integer_as(x, q, 1, 65535, d.vxlan_port);
                 }},
                {"geneve-port", [&](const Node& x, const Path& q) {
                   w.integer_as(x, q, 1, 65535, d.geneve_port);
                 }}});
       }},
      {"defrag",
       [&](const Node& v, const Path& p) {
         w.map(v, p,
               {{"memcap", [&](const Node& x, const Path& q) {
                   w.size(x, q, kMi, kMaxMemcap, "1m", "1024g", c.defrag_memcap);
                 }},
                {"timeout", [&](const Node& x, const Path& q) {
                   w.duration(x, q, kSec, 3600 * kSec, "1s", "1h", c.defrag_timeout);
                 }}});
       }},
      {"flow",
       [&](const Node& v, const Path& p) {
         w.map(v, p,
               {{"memcap", [&](const Node& x, const Path& q) {
                   w.size(x, q, kMi, kMaxMemcap, "1m", "1024g", c.flow_memcap);
                 }},
                {"timeouts", timeouts}});
       }},
      {"stream",
       [&](const Node& v, const Path& p) {
         w.map(v, p,
               {{"memcap", [&](const Node& x, const Path& q) {
                   w.size(x, q, kMi, kMaxMemcap, "1m", "1024g", c.stream_memcap);
                 }},
                {"per-flow", [&](const Node& x, const Path& q) {
                   w.size(x, q, 4 * kKi, kGi, "4k", "1g", c.stream_per_flow);
                   if (x.IsScalar()) {
                     per_flow_set = true;
                     per_flow_mark = x.Mark();
                     per_flow_text = describe(x);
                   }
                 }},
                {"midstream",
                 [&](const Node& x, const Path& q) { w.boolean(x, q, c.stream_midstream); }}});
       }},
      {"outputs",
       [&](const Node& v, const Path& p) {
         OutputsConfig& o = c.outputs;
         w.map(v, p,
               {{"log-dir", [&](const Node& x, const Path& q) { w.text(x, q, false, o.log_dir); }},
                {"flow-events",
                 [&](const Node& x, const Path& q) { w.boolean(x, q, o.flow_events); }},
                {"stats-interval", [&](const Node& x, const Path& q) {
                   Nanos t = o.stats_interval_s * kSec;
                   w.duration(x, q, 0, 3600 * kSec, "0s", "1h", t);
                   if (t % kSec != 0) {
                     w.expected(x, q, "a whole number of seconds");
                     return;
                   }
                   o.stats_interval_s = static_cast<int>(t / kSec);
                 }},
                {"metrics-listen", [&](const Node& x, const Path& q) {
                   if (x.IsNull()) {
                     o.metrics_listen.clear();
                     return;
                   }
                   if (!x.IsScalar() || !valid_listen(x.Scalar())) {
                     w.expected(x, q, "HOST:PORT like 127.0.0.1:9888 (port 1-65535), or \"\"");
                     return;
                   }
                   o.metrics_listen = x.Scalar();
                 }},
                {"metrics-file",
                 [&](const Node& x, const Path& q) { w.boolean(x, q, o.metrics_file); }}});
       }},
      {"vars",
       [&](const Node& v, const Path& p) {
         w.map(v, p,
               {{"address-groups", groups(c.vars.address_groups, "\"[10.0.0.0/8,!10.1.0.0/16]\"")},
                {"port-groups", groups(c.vars.port_groups, "\"[80,8080:8090]\"")}});
       }},
      {"classification-file",
       [&](const Node& v, const Path& p) { w.text(v, p, true, c.classification_file); }},
      {"threshold-file",
       [&](const Node& v, const Path& p) { w.text(v, p, true, c.threshold_file); }},
      {"rule-cache-dir",
       [&](const Node& v, const Path& p) { w.text(v, p, true, c.rule_cache_dir); }},
      {"detect",
       [&](const Node& v, const Path& p) {
         w.map(v, p, {{"ips-mode", [&](const Node& x, const Path& q) {
                         w.boolean(x, q, c.detect.ips_mode);
                       }},
                      {"stream-state-memcap", [&](const Node& x, const Path& q) {
                         w.size(x, q, kMi, kMaxMemcap, "1m", "1024g",
                                c.detect.stream_state_memcap);
                       }},
                      {"stream-window", [&](const Node& x, const Path& q) {
                         w.size(x, q, 0, 65536, "0", "64k", c.detect.stream_window);
                       }},
                      {"stream-window-memcap", [&](const Node& x, const Path& q) {
                         w.size(x, q, kMi, kMaxMemcap, "1m", "1024g",
                                c.detect.stream_window_memcap);
                       }}});
       }},
      {"fix", [&](const Node& v, const Path& p) { fix_section(w, v, p, c.fix); }},
      {"feeds", [&](const Node& v, const Path& p) { feeds_section(w, v, p, c.feeds); }},
      {"rule-files",
       [&](const Node& v, const Path& p) {
         if (v.IsNull()) return;
         if (!v.IsSequence()) {
           w.expected(v, p, "a list of rule file paths");
           return;
         }
         c.rule_files.clear();
         for (std::size_t i = 0; i < v.size(); ++i) {
           std::string f;
           w.text(v[i], p + "[" + std::to_string(i) + "]", false, f);
           if (!f.empty()) c.rule_files.push_back(std::move(f));
         }
       }},
  };

  if (!root.IsMap()) {
    w.expected(root, "", "a mapping of settings at the top level");
    return;
  }
  w.map(root, "", top);

  if (per_flow_set && c.stream_per_flow > c.stream_memcap) {
    w.error(per_flow_mark, "stream.per-flow",
            "expected a size no larger than stream.memcap, got " + per_flow_text);
  }
}

}  // namespace

LoadResult load_string(const std::string& yaml, const std::string& source_name) {
  LoadResult r;
  r.config.source = source_name;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::ParserException& e) {
    ConfigError err;
    err.file = source_name;
    if (!e.mark.is_null()) {
      err.line = e.mark.line + 1;
      err.column = e.mark.column + 1;
    }
    err.message = "YAML syntax error: " + e.msg;
    r.errors.push_back(std::move(err));
    return r;
  } catch (const YAML::Exception& e) {
    r.errors.push_back({source_name, 0, 0, std::string("YAML error: ") + e.what()});
    return r;
  }
  if (root.IsNull()) return r;  // empty document: all defaults
  Walker w(source_name, r.errors);
  walk(w, root, r.config);
  return r;
}

LoadResult load_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.config.source = path;
    r.errors.push_back({path, 0, 0, std::string("cannot open: ") + std::strerror(errno)});
    return r;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return load_string(ss.str(), path);
}

LoadResult load_default() { return load_string(kDefaultConfigYaml, "<built-in default>"); }

}  // namespace ts::config
