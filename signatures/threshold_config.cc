#include "signatures/threshold_config.h"

#include <charconv>

#include "signatures/source_lines.h"
#include "signatures/text_util.h"

namespace ts::sig {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

bool parse_u32(std::string_view s, uint32_t& out) {
  if (s.empty() || s.size() > 10) return false;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 0xffffffffu) return false;
  out = static_cast<uint32_t>(v);
  return true;
}

bool fail(ExprError& err, std::size_t off, std::string msg) {
  err.offset = off;
  err.message = std::move(msg);
  return false;
}

using Type = ThresholdOpt::Type;
using Track = ThresholdOpt::Track;

bool parse_type(std::string_view v, Type& t) {
  return lookup_word<Type>(v,
                           {{"limit", Type::kLimit},
                            {"threshold", Type::kThreshold},
                            {"both", Type::kBoth},
                            {"backoff", Type::kBackoff}},
                           t);
}

bool parse_track(std::string_view v, Track& t) {
  return lookup_word<Track>(v,
                            {{"by_src", Track::kBySrc},
                             {"by_dst", Track::kByDst},
                             {"by_rule", Track::kByRule},
                             {"by_both", Track::kByBoth},
                             {"by_flow", Track::kByFlow}},
                            t);
}

// Checks one parameter list against the names a kind accepts and collects the values.
struct ParamSet {
  std::vector<ThresholdParam> params;
  const ThresholdParam* get(std::string_view name) const {
    for (const auto& p : params) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

bool check_names(const ParamSet& ps, std::initializer_list<std::string_view> allowed,
                 ExprError& err) {
  for (std::size_t i = 0; i < ps.params.size(); ++i) {
    const ThresholdParam& p = ps.params[i];
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || p.name == a;
    if (!ok) {
      return fail(err, p.name_offset, "unknown parameter '" + std::string(p.name) + "'");
    }
    for (std::size_t j = 0; j < i; ++j) {
      if (ps.params[j].name == p.name) {
        return fail(err, p.name_offset, "duplicate parameter '" + std::string(p.name) + "'");
      }
    }
  }
  return true;
}

bool require(const ParamSet& ps, std::string_view name, std::size_t end_off, ExprError& err,
             const ThresholdParam*& out) {
  out = ps.get(name);
  if (!out) return fail(err, end_off, "missing '" + std::string(name) + "'");
  return true;
}

bool number(const ThresholdParam* p, uint32_t min, ExprError& err, uint32_t& out) {
  if (!parse_u32(p->value, out) || out < min) {
    return fail(err, p->value_offset,
                "expected an integer " + std::string(min ? "from 1" : "from 0") +
                    " to 4294967295 for '" + std::string(p->name) + "', got '" +
                    std::string(p->value) + "'");
  }
  return true;
}

// type/track/count/seconds (and multiplier for backoff) shared by the threshold keyword and
// threshold/event_filter lines.
bool threshold_body(const ParamSet& ps, std::size_t end_off, ThresholdOpt& o, ExprError& err) {
  const ThresholdParam *type = nullptr, *track = nullptr, *count = nullptr;
  if (!require(ps, "type", end_off, err, type)) return false;
  if (!parse_type(type->value, o.type)) {
    return fail(
        err, type->value_offset,
        "expected type limit, threshold, both or backoff, got '" + std::string(type->value) + "'");
  }
  if (!require(ps, "track", end_off, err, track)) return false;
  if (!parse_track(track->value, o.track)) {
    return fail(err, track->value_offset,
                "expected track by_src, by_dst, by_rule, by_both or by_flow, got '" +
                    std::string(track->value) + "'");
  }
  if (!require(ps, "count", end_off, err, count) || !number(count, 1, err, o.count)) {
    return false;
  }
  if (o.type == ThresholdOpt::Type::kBackoff) {
    const ThresholdParam* mult = nullptr;
    if (!require(ps, "multiplier", end_off, err, mult) || !number(mult, 1, err, o.multiplier)) {
      return false;
    }
    if (const ThresholdParam* s = ps.get("seconds")) {
      return fail(err, s->name_offset, "type backoff takes no 'seconds'");
    }
  } else {
    const ThresholdParam* secs = nullptr;
    if (!require(ps, "seconds", end_off, err, secs) || !number(secs, 1, err, o.seconds)) {
      return false;
    }
    if (const ThresholdParam* m = ps.get("multiplier")) {
      return fail(err, m->name_offset, "'multiplier' is only for type backoff");
    }
  }
  return true;
}

}  // namespace

bool split_threshold_params(std::string_view text, std::vector<ThresholdParam>& out,
                            ExprError& err) {
  out.clear();
  std::size_t i = 0;
  while (i <= text.size()) {
    // One item: up to a comma outside brackets.
    std::size_t j = i;
    int depth = 0;
    while (j < text.size() && !(text[j] == ',' && depth == 0)) {
      if (text[j] == '[')
        ++depth;
      else if (text[j] == ']')
        --depth;
      ++j;
    }
    std::size_t a = i, b = j;
    while (a < b && is_space(text[a])) ++a;
    while (b > a && is_space(text[b - 1])) --b;
    if (a == b) return fail(err, a, "expected 'name value' between commas");
    ThresholdParam p;
    std::size_t k = a;
    while (k < b && !is_space(text[k])) ++k;
    p.name = text.substr(a, k - a);
    p.name_offset = a;
    while (k < b && is_space(text[k])) ++k;
    p.value = text.substr(k, b - k);
    p.value_offset = k;
    out.push_back(p);
    if (j >= text.size()) break;
    i = j + 1;
  }
  return true;
}

bool parse_threshold_keyword(std::string_view text, bool detection_filter, ThresholdOpt& out,
                             ExprError& err) {
  ParamSet ps;
  if (!split_threshold_params(text, ps.params, err)) return false;
  ThresholdOpt o;
  if (detection_filter) {
    if (!check_names(ps, {"track", "count", "seconds", "unique_on"}, err)) return false;
    o.type = ThresholdOpt::Type::kDetectionFilter;
    const ThresholdParam *track = nullptr, *count = nullptr, *secs = nullptr;
    if (!require(ps, "track", text.size(), err, track)) return false;
    if (!parse_track(track->value, o.track)) {
      return fail(err, track->value_offset,
                  "expected track by_src, by_dst, by_rule, by_both or by_flow, got '" +
                      std::string(track->value) + "'");
    }
    if (!require(ps, "count", text.size(), err, count) || !number(count, 1, err, o.count) ||
        !require(ps, "seconds", text.size(), err, secs) || !number(secs, 1, err, o.seconds)) {
      return false;
    }
    if (const ThresholdParam* u = ps.get("unique_on")) {
      if (u->value == "src_port")
        o.unique_on = ThresholdOpt::Unique::kSrcPort;
      else if (u->value == "dst_port")
        o.unique_on = ThresholdOpt::Unique::kDstPort;
      else {
        return fail(err, u->value_offset,
                    "expected unique_on src_port or dst_port, got '" + std::string(u->value) + "'");
      }
    }
  } else {
    if (!check_names(ps, {"type", "track", "count", "seconds", "multiplier"}, err) ||
        !threshold_body(ps, text.size(), o, err)) {
      return false;
    }
  }
  out = o;
  return true;
}

void parse_threshold_config(std::string_view text, const std::string& file, VarTable& vars,
                            std::vector<ThresholdConfigEntry>& out,
                            std::vector<Diagnostic>& errors) {
  for_each_logical_line(text, [&](const LogicalLine& ll) {
    const std::string_view s = ll.text;
    auto report = [&](std::size_t off, std::string msg) {
      errors.push_back(ll.diagnostic(file, off, std::move(msg)));
    };
    std::size_t k = 0;
    while (k < s.size() && !is_space(s[k])) ++k;
    const std::string kind(s.substr(0, k));
    ThresholdConfigEntry e;
    e.file = file;
    e.line = ll.first_line();
    using Kind = ThresholdConfigEntry::Kind;
    if (!lookup_word<Kind>(kind,
                           {{"threshold", Kind::kThreshold},
                            {"event_filter", Kind::kEventFilter},
                            {"suppress", Kind::kSuppress},
                            {"rate_filter", Kind::kRateFilter}},
                           e.kind)) {
      report(0, "expected threshold, event_filter, suppress or rate_filter, got '" + kind + "'");
      return;
    }
    const std::size_t base = k;
    ParamSet ps;
    ExprError err;
    auto fail_at = [&](const ExprError& x) { report(base + x.offset, kind + ": " + x.message); };
    if (!split_threshold_params(s.substr(base), ps.params, err)) return fail_at(err);
    const std::size_t end = s.size() - base;

    bool ok = false;
    switch (e.kind) {
      case ThresholdConfigEntry::Kind::kThreshold:
      case ThresholdConfigEntry::Kind::kEventFilter:
        ok =
            check_names(ps, {"gen_id", "sig_id", "type", "track", "count", "seconds", "multiplier"},
                        err) &&
            threshold_body(ps, end, e.opt, err);
        break;
      case ThresholdConfigEntry::Kind::kSuppress: {
        ok = check_names(ps, {"gen_id", "sig_id", "track", "ip"}, err);
        if (!ok) break;
        const ThresholdParam* track = ps.get("track");
        const ThresholdParam* ip = ps.get("ip");
        if (track && !ip) {
          ok = fail(err, end, "suppress with 'track' needs 'ip'");
          break;
        }
        if (ip && !track) {
          ok = fail(err, ip->name_offset, "suppress with 'ip' needs 'track'");
          break;
        }
        if (track) {
          using SuppressTrack = ThresholdConfigEntry::SuppressTrack;
          if (!lookup_word<SuppressTrack>(track->value,
                                          {{"by_src", SuppressTrack::kBySrc},
                                           {"by_dst", SuppressTrack::kByDst},
                                           {"by_either", SuppressTrack::kByEither}},
                                          e.suppress_track)) {
            ok = fail(err, track->value_offset,
                      "expected track by_src, by_dst or by_either, got '" +
                          std::string(track->value) + "'");
            break;
          }
          ExprError aerr;
          if (!vars.parse_address(ip->value, e.suppress_ip, aerr)) {
            ok = fail(err, ip->value_offset + aerr.offset, aerr.message);
            break;
          }
        }
        break;
      }
      case ThresholdConfigEntry::Kind::kRateFilter: {
        ok = check_names(
            ps, {"gen_id", "sig_id", "track", "count", "seconds", "new_action", "timeout"}, err);
        if (!ok) break;
        const ThresholdParam *track = nullptr, *count = nullptr, *secs = nullptr, *action = nullptr,
                             *timeout = nullptr;
        ok = require(ps, "track", end, err, track);
        if (!ok) break;
        // As parse_track, without by_flow: rate_filter does not track flows.
        if (!lookup_word<Track>(track->value,
                                {{"by_src", Track::kBySrc},
                                 {"by_dst", Track::kByDst},
                                 {"by_rule", Track::kByRule},
                                 {"by_both", Track::kByBoth}},
                                e.opt.track)) {
          ok = fail(err, track->value_offset,
                    "expected track by_src, by_dst, by_rule or by_both, got '" +
                        std::string(track->value) + "'");
          break;
        }
        ok = require(ps, "count", end, err, count) && number(count, 1, err, e.opt.count) &&
             require(ps, "seconds", end, err, secs) && number(secs, 1, err, e.opt.seconds) &&
             require(ps, "new_action", end, err, action);
        if (!ok) break;
        if (!lookup_word<Action>(action->value,
                                 {{"alert", Action::kAlert},
                                  {"drop", Action::kDrop},
                                  {"pass", Action::kPass},
                                  {"reject", Action::kReject}},
                                 e.new_action)) {
          ok = fail(err, action->value_offset,
                    "expected new_action alert, drop, pass or reject, got '" +
                        std::string(action->value) + "'");
          break;
        }
        e.opt.type = ThresholdOpt::Type::kThreshold;
        ok = require(ps, "timeout", end, err, timeout) && number(timeout, 0, err, e.timeout);
        break;
      }
    }
    if (ok) {
      const ThresholdParam *gid = nullptr, *sid = nullptr;
      ok = require(ps, "gen_id", end, err, gid) && number(gid, 0, err, e.gid) &&
           require(ps, "sig_id", end, err, sid) && number(sid, 0, err, e.sid);
    }
    if (!ok) return fail_at(err);
    out.push_back(std::move(e));
  });
}

}  // namespace ts::sig
