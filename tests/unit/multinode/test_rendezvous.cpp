// Rendezvous on 127.0.0.1 with nodes as threads: everyone joins; a mismatched command line, a
// node that never comes, a node that joins twice, a stray client sending garbage, node 0 missing,
// and a node that dies after the start all end with one line naming the node and the cause.
#include <gtest/gtest.h>

#include <future>
#include <sys/socket.h>

#include "multinode/rendezvous.hpp"
#include "support/free_port.hpp"

namespace moebench::multinode {
namespace {

using namespace std::chrono_literals;

using moebench::testing::free_port;

RendezvousConfig config(int port, int nnodes, int rank, std::chrono::milliseconds timeout = 3000ms) {
  RendezvousConfig c;
  c.address = "127.0.0.1:" + std::to_string(port);
  c.nnodes = nnodes;
  c.node_rank = rank;
  c.local_devices = 2;
  c.host = "host" + std::to_string(rank);
  c.program_version = "test";
  c.config_fingerprint = "abc";
  c.timeout = timeout;
  c.make_start_token = [] { return std::string("00ff10"); };
  return c;
}

// Runs join() on a thread; the future holds the rendezvous or the error message.
std::future<std::unique_ptr<Rendezvous>> start(const RendezvousConfig& c) {
  return std::async(std::launch::async, [c] { return Rendezvous::join(c); });
}

std::string error_of(std::future<std::unique_ptr<Rendezvous>>& f) {
  try {
    f.get();
  } catch (const RendezvousError& e) {
    return e.what();
  }
  return "";
}

TEST(Rendezvous, EveryNodeJoinsAndGetsTheStartToken) {
  const int port = free_port();
  auto node0 = start(config(port, 3, 0));
  auto node1 = start(config(port, 3, 1));
  auto node2 = start(config(port, 3, 2));
  for (auto* f : {&node0, &node1, &node2}) {
    auto r = f->get();
    EXPECT_EQ(r->start_token(), "00ff10");
    r->finish();
  }
}

TEST(Rendezvous, MismatchedCommandLineStopsEveryNode) {
  const int port = free_port();
  auto node0 = start(config(port, 2, 0));
  RendezvousConfig other = config(port, 2, 1);
  other.config_fingerprint = "different";
  auto node1 = start(other);
  const std::string at0 = error_of(node0), at1 = error_of(node1);
  EXPECT_NE(at0.find("node 1 (host1) does not match node 0: its command line differs"), std::string::npos) << at0;
  EXPECT_NE(at1.find("node 0 stopped the run: node 1 (host1) does not match node 0"), std::string::npos) << at1;
}

TEST(Rendezvous, OtherVersionOrNodeCountIsRefused) {
  const int port = free_port();
  auto node0 = start(config(port, 2, 0));
  RendezvousConfig other = config(port, 2, 1);
  other.program_version = "older";
  auto node1 = start(other);
  EXPECT_NE(error_of(node0).find("it runs moebench older, node 0 runs test"), std::string::npos);
  EXPECT_NE(error_of(node1).find("node 0 stopped the run"), std::string::npos);
}

TEST(Rendezvous, NodeThatNeverComesTimesOut) {
  const int port = free_port();
  auto node0 = start(config(port, 3, 0, 1000ms));
  auto node1 = start(config(port, 3, 1, 1000ms));
  const auto t0 = Clock::now();
  const std::string at0 = error_of(node0);
  EXPECT_NE(at0.find("node(s) 2 did not join within 1 s"), std::string::npos) << at0;
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_NE(error_of(node1).find("node 0 stopped the run: node(s) 2 did not join"), std::string::npos);
}

TEST(Rendezvous, NodeJoiningTwiceIsRefused) {
  const int port = free_port();
  auto node0 = start(config(port, 3, 0));
  auto first = start(config(port, 3, 1));
  std::this_thread::sleep_for(200ms);
  RendezvousConfig twice = config(port, 3, 1);
  twice.host = "elsewhere";
  auto second = start(twice);
  // Either copy may reach node 0 first (a connect can be retried): the message names both hosts.
  const std::string at0 = error_of(node0);
  EXPECT_NE(at0.find("node 1 joined twice (from "), std::string::npos) << at0;
  EXPECT_NE(at0.find("host1"), std::string::npos) << at0;
  EXPECT_NE(at0.find("elsewhere"), std::string::npos) << at0;
  EXPECT_NE(error_of(first).find("node 0 stopped the run"), std::string::npos);
  EXPECT_NE(error_of(second).find("node 0 stopped the run"), std::string::npos);
}

TEST(Rendezvous, GarbageFromAStrayClientIsIgnored) {
  const int port = free_port();
  auto node0 = start(config(port, 2, 0));
  std::this_thread::sleep_for(200ms);
  {
    Socket stray = connect_until(parse_endpoint("127.0.0.1:" + std::to_string(port)), Clock::now() + 2s);
    const char junk[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    ASSERT_GT(send(stray.fd(), junk, sizeof(junk) - 1, 0), 0);
  }
  auto node1 = start(config(port, 2, 1));
  EXPECT_EQ(node0.get()->start_token(), "00ff10");
  EXPECT_EQ(node1.get()->start_token(), "00ff10");
}

TEST(Rendezvous, MissingNodeZeroTimesOut) {
  auto node1 = start(config(free_port(), 2, 1, 800ms));
  const std::string at1 = error_of(node1);
  EXPECT_NE(at1.find("node 0 at 127.0.0.1:"), std::string::npos) << at1;
  EXPECT_NE(at1.find("did not answer"), std::string::npos) << at1;
}

TEST(Rendezvous, NodeDyingAfterTheStartIsReportedEverywhere) {
  const int port = free_port();
  auto f0 = start(config(port, 3, 0, 2000ms));
  auto f1 = start(config(port, 3, 1, 2000ms));
  auto f2 = start(config(port, 3, 2, 2000ms));
  auto node0 = f0.get();
  auto node1 = f1.get();
  auto node2 = f2.get();
  std::promise<std::string> at0, at1;
  node0->start_monitor([&](const std::string& why) { at0.set_value(why); }, 100ms);
  node1->start_monitor([&](const std::string& why) { at1.set_value(why); }, 100ms);
  node2.reset();  // node 2 dies: its connection closes without a DONE
  auto r0 = at0.get_future(), r1 = at1.get_future();
  ASSERT_EQ(r0.wait_for(3s), std::future_status::ready);
  EXPECT_NE(r0.get().find("node 2 (host2) went away"), std::string::npos);
  ASSERT_EQ(r1.wait_for(3s), std::future_status::ready);
  EXPECT_NE(r1.get().find("node 0 stopped the run: node 2 (host2) went away"), std::string::npos);
}

TEST(Rendezvous, CleanFinishIsNotAFailure) {
  const int port = free_port();
  auto f0 = start(config(port, 2, 0, 1000ms));
  auto f1 = start(config(port, 2, 1, 1000ms));
  auto node0 = f0.get();
  auto node1 = f1.get();
  bool failed = false;
  node0->start_monitor([&](const std::string&) { failed = true; }, 100ms);
  node1->finish();
  std::this_thread::sleep_for(1500ms);
  node0->finish();
  EXPECT_FALSE(failed);
}

TEST(RendezvousWire, RoundTripAndStrictDecoding) {
  const Hello hello{1, 4, 8, "h", "v", "f"};
  const std::vector<std::uint8_t> bytes = encode({MessageType::kHello, to_json(hello)});
  const Header header = decode_header(bytes.data(), bytes.size());
  EXPECT_EQ(header.type, MessageType::kHello);
  const Message m = parse_payload(header, bytes.data() + kHeaderBytes, bytes.size() - kHeaderBytes);
  EXPECT_EQ(hello_from_json(m.payload).local_devices, 8);

  std::vector<std::uint8_t> bad = bytes;
  bad[0] = 'X';
  EXPECT_THROW(decode_header(bad.data(), bad.size()), WireError);
  bad = bytes;
  bad[5] = 9;  // version 9
  EXPECT_THROW(decode_header(bad.data(), bad.size()), WireError);
  bad = bytes;
  bad[7] = 42;  // type 42
  EXPECT_THROW(decode_header(bad.data(), bad.size()), WireError);
  bad = bytes;
  bad[8] = 0x7F;  // 2 GB payload
  EXPECT_THROW(decode_header(bad.data(), bad.size()), WireError);
  EXPECT_THROW(decode_header(bytes.data(), 5), WireError);
  const std::string not_json = "{oops";
  EXPECT_THROW(parse_payload({MessageType::kHello, 5}, reinterpret_cast<const std::uint8_t*>(not_json.data()), 5),
               WireError);
  EXPECT_THROW(hello_from_json({{"node_rank", 9}, {"nnodes", 4}}), WireError);  // rank out of range
  EXPECT_THROW(hello_from_json({{"node_rank", "1"}}), WireError);
  EXPECT_THROW(welcome_from_json({{"nnodes", 2}, {"start_token", "XYZ"}}), WireError);
  EXPECT_EQ(abort_reason({{"reason", std::string("two\nlines")}}), "two lines");
}

}  // namespace
}  // namespace moebench::multinode
