// fix_peer: a real FIX 4.4 counterparty for the inspector's live test, built on QuickFIX.
// Two modes, one process each:
//
//   fix_peer acceptor  --port P --log-dir D [--sender SERVER --target CLIENT]
//   fix_peer initiator --host H --port P --log-dir D [--sender CLIENT --target SERVER]
//                      [--orders N] [--cancels M] [--account A] [--gap-us G] [--hold F]
//
// The acceptor answers every NewOrderSingle (D) with an ExecutionReport New (150=0, 39=0)
// and every OrderCancelRequest (F) with an ExecutionReport Canceled (150=4, 39=4), echoing
// ClOrdID, OrigClOrdID and Account. It writes D/ready once it listens and exits when the
// first session logs out (or on SIGINT/SIGTERM).
// The initiator logs on, sends N orders with distinct ClOrdIDs (ORD00001...), cancels M of
// them (each right after its New report arrives, spread evenly), waits for every report,
// logs out and exits 0; 1 on a timeout or an unexpected answer. --gap-us paces the orders;
// with --hold F it writes D/acked once every report is in and logs out only when the file F
// exists, so a test can look at the logged-on session.
//
// Both use a memory store, ResetOnLogon=Y and a FileLog in D: D/FIX.4.4-S-T.messages.current.log
// holds every message sent and received, each line "YYYYMMDD-HH:MM:SS.nnnnnnnnn : <message>",
// logged just before the socket write (outgoing) or just after the read (incoming).
//
// QuickFIX 1.15's headers need C++14 (dynamic exception specifications), so this file is
// built on its own with -std=c++14 and without the project's warning flags.
#include <quickfix/Application.h>
#include <quickfix/FileLog.h>
#include <quickfix/MessageCracker.h>
#include <quickfix/Session.h>
#include <quickfix/SessionSettings.h>
#include <quickfix/SocketAcceptor.h>
#include <quickfix/SocketInitiator.h>
#include <quickfix/fix44/ExecutionReport.h>
#include <quickfix/fix44/NewOrderSingle.h>
#include <quickfix/fix44/OrderCancelRequest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  int port = 0;
  std::string log_dir;
  std::string sender;
  std::string target;
  int orders = 200;
  int cancels = 20;
  std::string account = "ACC123456789";
  int timeout_s = 30;
  int gap_us = 0;
  std::string hold;
};

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "fix_peer: %s\n"
               "usage: fix_peer acceptor --port P --log-dir D [--sender S --target T]\n"
               "       fix_peer initiator --host H --port P --log-dir D [--sender S --target T]\n"
               "                [--orders N] [--cancels M] [--account A] [--timeout SECONDS]\n"
               "                [--gap-us MICROSECONDS] [--hold FILE]\n",
               why);
  std::exit(2);
}

Options parse(int argc, char** argv) {
  if (argc < 2) usage("no mode");
  Options o;
  o.mode = argv[1];
  if (o.mode != "acceptor" && o.mode != "initiator") usage("mode must be acceptor or initiator");
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    if (i + 1 >= argc) usage(("missing value for " + k).c_str());
    std::string v = argv[++i];
    if (k == "--host") o.host = v;
    else if (k == "--port") o.port = std::atoi(v.c_str());
    else if (k == "--log-dir") o.log_dir = v;
    else if (k == "--sender") o.sender = v;
    else if (k == "--target") o.target = v;
    else if (k == "--orders") o.orders = std::atoi(v.c_str());
    else if (k == "--cancels") o.cancels = std::atoi(v.c_str());
    else if (k == "--account") o.account = v;
    else if (k == "--timeout") o.timeout_s = std::atoi(v.c_str());
    else if (k == "--gap-us") o.gap_us = std::atoi(v.c_str());
    else if (k == "--hold") o.hold = v;
    else usage(("unknown option " + k).c_str());
  }
  if (o.port <= 0 || o.log_dir.empty()) usage("--port and --log-dir are required");
  if (o.cancels < 0 || o.orders < 0 || o.cancels > o.orders) usage("need 0 <= cancels <= orders");
  const bool acc = o.mode == "acceptor";
  if (o.sender.empty()) o.sender = acc ? "EXCHANGE" : "BROKER01";
  if (o.target.empty()) o.target = acc ? "BROKER01" : "EXCHANGE";
  return o;
}

std::string settings_text(const Options& o) {
  std::ostringstream s;
  s << "[DEFAULT]\n"
    << "ConnectionType=" << o.mode << "\n"
    << "BeginString=FIX.4.4\n"
    << "SenderCompID=" << o.sender << "\n"
    << "TargetCompID=" << o.target << "\n"
    << "StartTime=00:00:00\nEndTime=00:00:00\n"
    << "HeartBtInt=30\n"
    << "ResetOnLogon=Y\nResetOnLogout=Y\nResetOnDisconnect=Y\n"
    << "UseDataDictionary=N\n"
    << "SocketNodelay=Y\n"
    << "FileLogPath=" << o.log_dir << "\n";
  if (o.mode == "acceptor") {
    s << "SocketAcceptPort=" << o.port << "\n";
  } else {
    s << "SocketConnectHost=" << o.host << "\n"
      << "SocketConnectPort=" << o.port << "\n"
      << "ReconnectInterval=1\n";
  }
  s << "\n[SESSION]\n";
  return s.str();
}

// ---- acceptor: answers orders and cancels ----
class Exchange : public FIX::Application, public FIX::MessageCracker {
 public:
  std::atomic<bool> logged_out{false};

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::fprintf(stderr, "fix_peer acceptor: logon %s\n", id.toString().c_str());
  }
  void onLogout(const FIX::SessionID&) override { logged_out = true; }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    crack(m, id);
  }

  void onMessage(const FIX44::NewOrderSingle& o, const FIX::SessionID& id) override {
    FIX::ClOrdID cl;
    FIX::Side side;
    FIX::OrderQty qty;
    FIX::Symbol sym;
    o.get(cl);
    o.get(side);
    o.get(qty);
    o.get(sym);
    FIX44::ExecutionReport er(FIX::OrderID("O" + cl.getValue()), next_exec_id(),
                              FIX::ExecType(FIX::ExecType_NEW), FIX::OrdStatus(FIX::OrdStatus_NEW),
                              side, FIX::LeavesQty(qty.getValue()), FIX::CumQty(0),
                              FIX::AvgPx(0));
    er.set(cl);
    er.set(sym);
    er.set(qty);
    copy_account(o, er);
    FIX::Session::sendToTarget(er, id);
  }

  void onMessage(const FIX44::OrderCancelRequest& c, const FIX::SessionID& id) override {
    FIX::ClOrdID cl;
    FIX::OrigClOrdID orig;
    FIX::Side side;
    FIX::Symbol sym;
    c.get(cl);
    c.get(orig);
    c.get(side);
    c.get(sym);
    FIX44::ExecutionReport er(FIX::OrderID("O" + orig.getValue()), next_exec_id(),
                              FIX::ExecType(FIX::ExecType_CANCELED),
                              FIX::OrdStatus(FIX::OrdStatus_CANCELED), side, FIX::LeavesQty(0),
                              FIX::CumQty(0), FIX::AvgPx(0));
    er.set(cl);
    er.set(orig);
    er.set(sym);
    copy_account(c, er);
    FIX::Session::sendToTarget(er, id);
  }

 private:
  int exec_ = 0;
  FIX::ExecID next_exec_id() {
    char b[32];
    std::snprintf(b, sizeof b, "E%07d", ++exec_);
    return FIX::ExecID(b);
  }
  static void copy_account(const FIX::Message& from, FIX::Message& to) {
    FIX::Account a;
    if (from.isSetField(a)) {
      from.getField(a);
      to.setField(a);
    }
  }
};

// ---- initiator: sends orders and cancels, waits for every report ----
class Broker : public FIX::Application, public FIX::MessageCracker {
 public:
  explicit Broker(const Options& o) : o_(o) {}

  void onCreate(const FIX::SessionID&) override {}
  void onLogon(const FIX::SessionID& id) override {
    std::lock_guard<std::mutex> l(mu_);
    session_ = id;
    logged_on_ = true;
    cv_.notify_all();
  }
  void onLogout(const FIX::SessionID&) override {
    std::lock_guard<std::mutex> l(mu_);
    logged_out_ = true;
    cv_.notify_all();
  }
  void toAdmin(FIX::Message&, const FIX::SessionID&) override {}
  void toApp(FIX::Message&, const FIX::SessionID&) throw(FIX::DoNotSend) override {}
  void fromAdmin(const FIX::Message&, const FIX::SessionID&) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::RejectLogon) override {}
  void fromApp(const FIX::Message& m, const FIX::SessionID& id) throw(
      FIX::FieldNotFound, FIX::IncorrectDataFormat, FIX::IncorrectTagValue,
      FIX::UnsupportedMessageType) override {
    crack(m, id);
  }

  void onMessage(const FIX44::ExecutionReport& er, const FIX::SessionID& id) override {
    FIX::ExecType et;
    FIX::ClOrdID cl;
    er.get(et);
    er.get(cl);
    std::lock_guard<std::mutex> l(mu_);
    if (et.getValue() == FIX::ExecType_NEW) {
      ++acks_new_;
      // Cancel every (orders / cancels)-th order as soon as the exchange has it.
      const int n = std::atoi(cl.getValue().c_str() + 3);  // "ORD00042" -> 42
      const int every = o_.cancels ? o_.orders / o_.cancels : 0;
      if (every && n % every == 0 && cancels_sent_ < o_.cancels) {
        ++cancels_sent_;
        FIX44::OrderCancelRequest c(FIX::OrigClOrdID(cl.getValue()),
                                    FIX::ClOrdID("CXL" + cl.getValue().substr(3)),
                                    FIX::Side(FIX::Side_BUY), FIX::TransactTime());
        c.set(FIX::Symbol("600000"));
        c.set(FIX::OrderQty(100));
        c.setField(FIX::Account(o_.account));
        FIX::Session::sendToTarget(c, id);
      }
    } else if (et.getValue() == FIX::ExecType_CANCELED) {
      ++acks_cancel_;
    } else {
      ++unexpected_;
    }
    cv_.notify_all();
  }

  // Main thread: the whole session. Returns the exit status.
  int run() {
    std::unique_lock<std::mutex> l(mu_);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o_.timeout_s);
    if (!cv_.wait_until(l, deadline, [&] { return logged_on_ || g_stop; })) {
      std::fprintf(stderr, "fix_peer initiator: no logon within %d s\n", o_.timeout_s);
      return 1;
    }
    const FIX::SessionID id = session_;
    l.unlock();
    for (int i = 1; i <= o_.orders && !g_stop; ++i) {
      char cl[16];
      std::snprintf(cl, sizeof cl, "ORD%05d", i);
      FIX44::NewOrderSingle o(FIX::ClOrdID(cl), FIX::Side(FIX::Side_BUY), FIX::TransactTime(),
                              FIX::OrdType(FIX::OrdType_LIMIT));
      o.set(FIX::Symbol("600000"));
      o.set(FIX::OrderQty(100));
      o.set(FIX::Price(10.5 + 0.01 * (i % 50)));
      o.set(FIX::Account(o_.account));
      if (!FIX::Session::sendToTarget(o, id)) {
        std::fprintf(stderr, "fix_peer initiator: could not send %s\n", cl);
        return 1;
      }
      if (o_.gap_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(o_.gap_us));
    }
    l.lock();
    const bool done = cv_.wait_until(l, deadline, [&] {
      return g_stop || (acks_new_ == o_.orders && acks_cancel_ == o_.cancels);
    });
    std::fprintf(stderr, "fix_peer initiator: %d orders acknowledged, %d canceled, %d other\n",
                 acks_new_, acks_cancel_, unexpected_);
    if (done && !o_.hold.empty()) {
      l.unlock();
      { std::ofstream(o_.log_dir + "/acked") << acks_new_ << " " << acks_cancel_ << "\n"; }
      while (!g_stop && std::chrono::steady_clock::now() < deadline &&
             !std::ifstream(o_.hold).good())
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      l.lock();
    }
    if (FIX::Session* s = FIX::Session::lookupSession(id)) s->logout();
    const bool out = cv_.wait_for(l, std::chrono::seconds(5), [&] { return logged_out_; });
    if (!done || !out || unexpected_ || g_stop) {
      std::fprintf(stderr, "fix_peer initiator: %s\n",
                   !done ? "timed out waiting for reports"
                         : !out ? "no logout answer" : "unexpected reports or interrupted");
      return 1;
    }
    return 0;
  }

 private:
  const Options& o_;
  std::mutex mu_;
  std::condition_variable cv_;
  FIX::SessionID session_;
  bool logged_on_ = false;
  bool logged_out_ = false;
  int acks_new_ = 0;
  int acks_cancel_ = 0;
  int cancels_sent_ = 0;
  int unexpected_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  try {
    std::istringstream text(settings_text(o));
    FIX::SessionSettings settings(text);
    FIX::MemoryStoreFactory store;
    FIX::FileLogFactory log(settings);
    if (o.mode == "acceptor") {
      Exchange app;
      FIX::SocketAcceptor acceptor(app, store, settings, log);
      acceptor.start();  // listening when start() returns
      { std::ofstream(o.log_dir + "/ready") << o.port << "\n"; }
      while (!g_stop && !app.logged_out) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the logout answer go
      acceptor.stop();
      return 0;
    }
    Broker app(o);
    FIX::SocketInitiator initiator(app, store, settings, log);
    initiator.start();
    const int rc = app.run();
    initiator.stop();
    return rc;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fix_peer %s: %s\n", o.mode.c_str(), e.what());
    return 1;
  }
}
