#include "exporters/eve_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ts::exporters {

std::string proto_name(uint8_t ip_proto) {
  switch (ip_proto) {
    case 1: return "ICMP";
    case 6: return "TCP";
    case 17: return "UDP";
    case 47: return "GRE";
    case 50: return "ESP";
    case 51: return "AH";
    case 58: return "IPv6-ICMP";
    case 132: return "SCTP";
    default: {
      char buf[8];
      std::snprintf(buf, sizeof buf, "%03u", static_cast<unsigned>(ip_proto));
      return buf;
    }
  }
}

// The buffers are sized for the usual case up front, so alert lines of varying length do not
// reallocate them one by one as they arrive (the output thread keeps allocations flat too).
EveWriter::EveWriter(const std::string& log_dir) : EveWriter(File{log_dir + "/eve.json"}) {}
EveWriter::EveWriter(File file) : path_(std::move(file.path)) {
  buf_.reserve(kFlushBytes + kLineReserve);
  json_.reserve(kLineReserve);
}
EveWriter::~EveWriter() { close(); }

bool EveWriter::open(std::string* error) {
  if (fd_ >= 0) return true;
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) {
    last_errno_ = errno;
    if (error) *error = "cannot open " + path_ + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

void EveWriter::append_line() {
  if (buf_.size() + json_.str().size() + 1 > kMaxPendingBytes) {
    ++dropped_lines_;  // the disk has been failing for a while: do not grow without bound
    json_.clear();
    return;
  }
  buf_ += json_.str();
  buf_ += '\n';
  json_.clear();
  ++lines_;
  if (buf_.size() >= kFlushBytes) flush();
}

void EveWriter::write_line(std::string_view json) {
  json_.clear();
  json_.raw(json);
  append_line();
}

namespace {

// Dotted counter names as a tree, children in first-appearance order. A name that is both
// a value and a prefix of others ("a" and "a.b") keeps the group and drops the value: JSON
// cannot hold both under one key (never the case for our counter names).
struct StatNode {
  std::string_view name;
  uint64_t value = 0;
  std::vector<StatNode> children;

  StatNode& child(std::string_view n) {
    for (StatNode& c : children) {
      if (c.name == n) return c;
    }
    children.push_back(StatNode{n, 0, {}});
    return children.back();
  }
  void emit(JsonBuilder& j) const {
    for (const StatNode& c : children) {
      if (c.children.empty()) {
        j.field(c.name, c.value);
      } else {
        j.begin_object(c.name);
        c.emit(j);
        j.end_object();
      }
    }
  }
};

void add_timestamp(JsonBuilder& j, std::string_view key, Nanos ts) {
  char buf[kTimestampBufSize];
  const int n = format_timestamp(ts, buf);
  j.field(key, std::string_view(buf, static_cast<std::size_t>(n)));
}

}  // namespace

void EveWriter::write_stats(Nanos ts,
                            const std::vector<std::pair<std::string, uint64_t>>& counters,
                            double uptime_s) {
  StatNode root;
  for (const auto& [name, value] : counters) {
    StatNode* n = &root;
    std::string_view rest = name;
    while (true) {
      const auto dot = rest.find('.');
      n = &n->child(rest.substr(0, dot));
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
    }
    n->value = value;
  }
  json_.clear();
  json_.begin_object();
  add_timestamp(json_, "timestamp", ts);
  json_.field("event_type", "stats");
  json_.begin_object("stats");
  json_.field("uptime", static_cast<int64_t>(uptime_s < 0 ? 0 : uptime_s));
  root.emit(json_);
  json_.end_object();
  json_.end_object();
  append_line();
}

void EveWriter::write_alert(const AlertRecord& a) {
  char ip[64];
  const bool has_ports = a.ip_proto == 6 || a.ip_proto == 17 || a.ip_proto == 132;
  const bool icmp = a.ip_proto == 1 || a.ip_proto == 58;
  json_.clear();
  json_.begin_object();
  add_timestamp(json_, "timestamp", a.ts);
  if (a.flow_id) json_.field("flow_id", a.flow_id);
  if (a.pcap_cnt) json_.field("pcap_cnt", a.pcap_cnt);
  json_.field("event_type", "alert");
  if (a.src.family) {
    json_.field("src_ip", std::string_view(ip, static_cast<std::size_t>(format_ip(a.src, ip, sizeof ip))));
    if (has_ports) json_.field("src_port", a.sport);
  }
  if (a.dst.family) {
    json_.field("dest_ip", std::string_view(ip, static_cast<std::size_t>(format_ip(a.dst, ip, sizeof ip))));
    if (has_ports) json_.field("dest_port", a.dport);
  }
  if (a.src.family) json_.field("ip_v", a.src.family == 6 ? 6 : 4);
  if (a.ip_proto) json_.field("proto", proto_name(a.ip_proto));
  if (icmp) {
    json_.field("icmp_type", a.icmp_type);
    json_.field("icmp_code", a.icmp_code);
  }
  if (a.pcap_cnt) json_.field("pkt_src", "wire/pcap");
  json_.begin_object("alert");
  json_.field("action", a.blocked ? "blocked" : "allowed");
  json_.field("gid", a.gid);
  json_.field("signature_id", a.sid);
  json_.field("rev", a.rev);
  json_.field("signature", a.signature);
  json_.field("category", a.category);
  json_.field("severity", a.severity);
  json_.end_object();
  if (!a.app.empty() && !a.app_json.empty()) json_.key(a.app).raw(a.app_json);
  if (a.direction) json_.field("direction", a.direction);
  if (a.stream >= 0) json_.field("stream", a.stream);
  json_.end_object();
  append_line();
}

void EveWriter::write_flow(const FlowEvent& f) {
  char ip[64];
  const bool has_ports = f.ip_proto == 6 || f.ip_proto == 17 || f.ip_proto == 132;
  json_.clear();
  json_.begin_object();
  add_timestamp(json_, "timestamp", f.end);
  json_.field("flow_id", f.flow_id);
  json_.field("event_type", "flow");
  // Suricata writes the VLAN ids before the tuple.
  if (f.vlan_count > 0) {
    json_.begin_array("vlan");
    for (int i = 0; i < f.vlan_count && i < 2; ++i) json_.value(f.vlan[i]);
    json_.end_array();
  }
  json_.field("src_ip", std::string_view(ip, static_cast<std::size_t>(format_ip(f.src, ip, sizeof ip))));
  if (has_ports) json_.field("src_port", f.sport);
  json_.field("dest_ip", std::string_view(ip, static_cast<std::size_t>(format_ip(f.dst, ip, sizeof ip))));
  if (has_ports) json_.field("dest_port", f.dport);
  json_.field("proto", proto_name(f.ip_proto));

  json_.begin_object("flow");
  json_.field("pkts_toserver", f.pkts_toserver);
  json_.field("pkts_toclient", f.pkts_toclient);
  json_.field("bytes_toserver", f.bytes_toserver);
  json_.field("bytes_toclient", f.bytes_toclient);
  add_timestamp(json_, "start", f.start);
  add_timestamp(json_, "end", f.end);
  // Suricata: whole seconds of end minus whole seconds of start.
  json_.field("age", f.end / kNanosPerSec - f.start / kNanosPerSec);
  json_.field("state", f.state ? f.state : "new");
  json_.field("reason", f.reason ? f.reason : "timeout");
  json_.field("alerted", f.alerted);
  json_.end_object();

  if (f.ip_proto == 6) {
    const auto hex = [](uint8_t v) {
      static constexpr char kHex[] = "0123456789abcdef";
      return std::string{kHex[v >> 4], kHex[v & 0xf]};
    };
    const uint8_t all = f.tcp_flags_ts | f.tcp_flags_tc;
    json_.begin_object("tcp");
    json_.field("tcp_flags", hex(all));
    json_.field("tcp_flags_ts", hex(f.tcp_flags_ts));
    json_.field("tcp_flags_tc", hex(f.tcp_flags_tc));
    // Only the flags that were seen, in Suricata's order.
    static constexpr std::pair<uint8_t, const char*> kFlags[] = {
        {0x02, "syn"}, {0x01, "fin"}, {0x04, "rst"}, {0x08, "psh"},
        {0x10, "ack"}, {0x20, "urg"}, {0x40, "ecn"}, {0x80, "cwr"}};
    for (const auto& [bit, name] : kFlags) {
      if (all & bit) json_.field(name, true);
    }
    json_.end_object();
  }
  json_.end_object();
  append_line();
}

bool EveWriter::flush() {
  if (buf_.empty()) return true;
  if (fd_ < 0) return false;
  std::size_t done = 0;
  while (done < buf_.size()) {
    const ssize_t n = ::write(fd_, buf_.data() + done, buf_.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      last_errno_ = errno;
      ++write_errors_;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  buf_.erase(0, done);  // keep what was not written (a partial line included) for the retry
  return buf_.empty();
}

void EveWriter::close() {
  if (fd_ < 0) return;
  flush();
  // fsync fails with EINVAL on pipes and character devices; that is not a lost write.
  if (::fsync(fd_) != 0 && errno != EINVAL && errno != EROFS) {
    last_errno_ = errno;
    ++write_errors_;
  }
  ::close(fd_);
  fd_ = -1;
}

}  // namespace ts::exporters
