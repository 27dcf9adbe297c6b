// The rendezvous wire format between node agents: a 12-byte header (magic "MOEB", protocol
// version, message type, payload length) and a JSON payload of at most kMaxPayload bytes.
// Everything a node accepts from the network passes through decode_header and parse_payload,
// which reject anything malformed with a WireError naming the problem.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace moebench::multinode {

constexpr std::array<std::uint8_t, 4> kMagic{'M', 'O', 'E', 'B'};
constexpr std::uint16_t kProtocolVersion = 1;
constexpr std::size_t kHeaderBytes = 12;
constexpr std::uint32_t kMaxPayload = 64 * 1024;

enum class MessageType : std::uint16_t {
  kHello = 1,      // node -> node 0: who I am and what I run
  kWelcome = 2,    // node 0 -> node: everyone is here; the shared start data
  kAbort = 3,      // either way: stop, with the reason
  kHeartbeat = 4,  // either way: still alive
  kDone = 5,       // either way: finished cleanly
};

class WireError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Hello {
  int node_rank = 0;
  int nnodes = 0;
  int local_devices = 0;
  std::string host;
  std::string program_version;
  std::string config_fingerprint;  // a digest of every flag that must agree across nodes
};

struct Welcome {
  int nnodes = 0;
  std::string start_token;  // opaque bytes node 0 shares (the NCCL unique id), hex
};

struct Message {
  MessageType type = MessageType::kHeartbeat;
  nlohmann::json payload;
};

std::vector<std::uint8_t> encode(const Message& message);

struct Header {
  MessageType type;
  std::uint32_t payload_bytes;
};
// Validates magic, version, type and length. Throws WireError.
Header decode_header(const std::uint8_t* bytes, std::size_t size);
// Parses a payload (JSON object) of a known type. Throws WireError.
Message parse_payload(const Header& header, const std::uint8_t* bytes, std::size_t size);

nlohmann::json to_json(const Hello& hello);
Hello hello_from_json(const nlohmann::json& payload);  // throws WireError on missing/ill-typed fields
nlohmann::json to_json(const Welcome& welcome);
Welcome welcome_from_json(const nlohmann::json& payload);
std::string abort_reason(const nlohmann::json& payload);

}  // namespace moebench::multinode
