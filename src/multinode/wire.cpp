// Encoding and strict decoding of rendezvous messages.
#include "multinode/wire.hpp"

#include <fmt/format.h>

namespace moebench::multinode {

namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>((v >> shift) & 0xFF));
}
std::uint16_t get16(const std::uint8_t* p) { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
std::uint32_t get32(const std::uint8_t* p) {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

const nlohmann::json& field(const nlohmann::json& payload, const char* name) {
  auto it = payload.find(name);
  if (it == payload.end()) throw WireError(fmt::format("message lacks '{}'", name));
  return *it;
}

int int_field(const nlohmann::json& payload, const char* name, int low, int high) {
  const nlohmann::json& v = field(payload, name);
  if (!v.is_number_integer()) throw WireError(fmt::format("'{}' is not an integer", name));
  const auto value = v.get<std::int64_t>();
  if (value < low || value > high)
    throw WireError(fmt::format("'{}' = {} is outside [{}, {}]", name, value, low, high));
  return static_cast<int>(value);
}

std::string string_field(const nlohmann::json& payload, const char* name, std::size_t max_size) {
  const nlohmann::json& v = field(payload, name);
  if (!v.is_string()) throw WireError(fmt::format("'{}' is not a string", name));
  std::string s = v.get<std::string>();
  if (s.size() > max_size) throw WireError(fmt::format("'{}' is longer than {} bytes", name, max_size));
  return s;
}

}  // namespace

std::vector<std::uint8_t> encode(const Message& message) {
  const std::string body = message.payload.is_null() ? "{}" : message.payload.dump();
  if (body.size() > kMaxPayload) throw WireError(fmt::format("message of {} bytes is too large", body.size()));
  std::vector<std::uint8_t> out(kMagic.begin(), kMagic.end());
  put16(out, kProtocolVersion);
  put16(out, static_cast<std::uint16_t>(message.type));
  put32(out, static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Header decode_header(const std::uint8_t* bytes, std::size_t size) {
  if (size < kHeaderBytes) throw WireError("truncated header");
  if (!std::equal(kMagic.begin(), kMagic.end(), bytes)) throw WireError("not a moebench rendezvous message");
  const std::uint16_t version = get16(bytes + 4);
  if (version != kProtocolVersion) {
    throw WireError(fmt::format("rendezvous protocol version {} (this program speaks {})", version, kProtocolVersion));
  }
  const std::uint16_t type = get16(bytes + 6);
  if (type < 1 || type > 5) throw WireError(fmt::format("unknown message type {}", type));
  const std::uint32_t length = get32(bytes + 8);
  if (length > kMaxPayload) throw WireError(fmt::format("payload of {} bytes exceeds {}", length, kMaxPayload));
  return {static_cast<MessageType>(type), length};
}

Message parse_payload(const Header& header, const std::uint8_t* bytes, std::size_t size) {
  if (size != header.payload_bytes) throw WireError("payload length does not match its header");
  Message m;
  m.type = header.type;
  m.payload = nlohmann::json::parse(bytes, bytes + size, nullptr, false);
  if (m.payload.is_discarded() || !m.payload.is_object()) throw WireError("payload is not a JSON object");
  return m;
}

nlohmann::json to_json(const Hello& h) {
  return {{"node_rank", h.node_rank},
          {"nnodes", h.nnodes},
          {"local_devices", h.local_devices},
          {"host", h.host},
          {"program_version", h.program_version},
          {"config_fingerprint", h.config_fingerprint}};
}

Hello hello_from_json(const nlohmann::json& p) {
  Hello h;
  h.nnodes = int_field(p, "nnodes", 2, 65536);
  h.node_rank = int_field(p, "node_rank", 1, h.nnodes - 1);
  h.local_devices = int_field(p, "local_devices", 1, 65536);
  h.host = string_field(p, "host", 256);
  h.program_version = string_field(p, "program_version", 256);
  h.config_fingerprint = string_field(p, "config_fingerprint", 256);
  return h;
}

nlohmann::json to_json(const Welcome& w) { return {{"nnodes", w.nnodes}, {"start_token", w.start_token}}; }

Welcome welcome_from_json(const nlohmann::json& p) {
  Welcome w;
  w.nnodes = int_field(p, "nnodes", 2, 65536);
  w.start_token = string_field(p, "start_token", 4096);
  if (w.start_token.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw WireError("'start_token' is not lowercase hex");
  return w;
}

std::string abort_reason(const nlohmann::json& p) {
  auto it = p.find("reason");
  if (it == p.end() || !it->is_string()) return "no reason given";
  std::string reason = it->get<std::string>();
  if (reason.size() > 1024) reason.resize(1024);
  for (char& c : reason)
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';  // one line, whatever the peer sent
  return reason;
}

}  // namespace moebench::multinode
