#include "wire/codec.hpp"

#include <algorithm>
#include <cstring>

#include "treecast.pb.h"
#include "wire/errors.hpp"
#include "wire/frame_decoder.hpp"
#include "wire/limits.hpp"

namespace treecast::wire {
namespace {

namespace pb = treecast::v1;

std::string to_bytes(const node_id_t& id) {
  return {id.begin(), id.end()};
}

bool to_node_id(const std::string& in, node_id_t& out) {
  if (in.size() != out.size()) {
    return false;
  }
  std::memcpy(out.data(), in.data(), out.size());
  return true;
}

shared_bytes frame_of(const pb::Envelope& envelope) {
  const std::size_t body = envelope.ByteSizeLong();
  auto frame = std::make_shared<byte_buffer>(frame_header_bytes + body);
  write_frame_header(frame->data(), static_cast<std::uint32_t>(body));
  envelope.SerializeWithCachedSizesToArray(frame->data() + frame_header_bytes);
  return frame;
}

void fill(pb::Envelope& e, const hello& m) {
  auto* h = e.mutable_hello();
  h->set_protocol_version(m.version);
  h->set_peer_id(to_bytes(m.node_id));
  h->set_listen_port(m.listen_port);
  h->set_role(static_cast<pb::PeerRole>(m.role));
  h->set_site(m.site);
}

void fill(pb::Envelope& e, const join_request& m) {
  auto* j = e.mutable_join_request();
  if (m.resume_from) {
    j->set_resume_from(*m.resume_from);
  }
}

void fill(pb::Envelope& e, const join_accept& m) {
  auto* a = e.mutable_join_accept();
  a->set_depth(m.depth);
  for (const auto& id : m.path) {
    a->add_path(to_bytes(id));
  }
}

void fill(pb::Envelope& e, const join_redirect& m) {
  auto* r = e.mutable_join_redirect();
  r->set_reason(m.reason);
  for (const auto& c : m.candidates) {
    auto* ep = r->add_candidates();
    ep->set_host(c.host);
    ep->set_port(c.port);
  }
}

void fill(pb::Envelope& e, const chunk& m) {
  pb::ChunkBody body;
  body.set_stream_id(m.stream_id);
  body.set_seq(m.seq);
  body.set_capture_time_us(m.capture_time_us);
  body.set_flags(m.flags);
  body.set_payload(m.payload);
  auto* c = e.mutable_chunk();
  body.SerializeToString(c->mutable_body());
  c->set_signature(m.signature);
}

void fill(pb::Envelope& e, const heartbeat& m) {
  e.mutable_heartbeat()->set_sent_time_us(m.sent_time_us);
}

void fill(pb::Envelope& e, const leave& m) {
  e.mutable_leave()->set_reason(m.reason);
}

bool text_ok(const std::string& s) {
  return s.size() <= max_text_bytes;
}

std::error_code decode(const pb::Hello& in, message& out) {
  hello m;
  m.version = in.protocol_version();
  if (!to_node_id(in.peer_id(), m.node_id) || in.listen_port() > 65535 || !text_ok(in.site()) ||
      in.role() < pb::PEER_ROLE_UNSPECIFIED || in.role() > pb::PEER_ROLE_VIEWER) {
    return wire_errc::field_out_of_range;
  }
  m.listen_port = static_cast<std::uint16_t>(in.listen_port());
  m.role = static_cast<peer_role>(in.role());
  m.site = in.site();
  out = std::move(m);
  return {};
}

std::error_code decode(const pb::JoinRequest& in, message& out) {
  join_request m;
  if (in.has_resume_from()) {
    m.resume_from = in.resume_from();
  }
  out = m;
  return {};
}

std::error_code decode(const pb::JoinAccept& in, message& out) {
  join_accept m;
  m.depth = in.depth();
  if (static_cast<std::size_t>(in.path_size()) > max_path_length) {
    return wire_errc::field_out_of_range;
  }
  m.path.resize(in.path_size());
  for (int i = 0; i < in.path_size(); ++i) {
    if (!to_node_id(in.path(i), m.path[i])) {
      return wire_errc::field_out_of_range;
    }
  }
  out = std::move(m);
  return {};
}

std::error_code decode(const pb::JoinRedirect& in, message& out) {
  join_redirect m;
  if (!text_ok(in.reason()) ||
      static_cast<std::size_t>(in.candidates_size()) > max_redirect_candidates) {
    return wire_errc::field_out_of_range;
  }
  m.reason = in.reason();
  for (const auto& c : in.candidates()) {
    if (!text_ok(c.host()) || c.port() == 0 || c.port() > 65535) {
      return wire_errc::field_out_of_range;
    }
    m.candidates.push_back({c.host(), static_cast<std::uint16_t>(c.port())});
  }
  out = std::move(m);
  return {};
}

std::error_code decode(pb::Chunk& in, const shared_bytes& frame, message& out) {
  pb::ChunkBody body;
  if (!body.ParseFromString(in.body())) {
    return wire_errc::malformed_chunk;
  }
  if (body.stream_id().size() > max_stream_id_bytes) {
    return wire_errc::field_out_of_range;
  }
  chunk m;
  m.stream_id = std::move(*body.mutable_stream_id());
  m.seq = body.seq();
  m.capture_time_us = body.capture_time_us();
  m.flags = body.flags();
  m.payload = std::move(*body.mutable_payload());
  m.signature = std::move(*in.mutable_signature());
  m.frame = frame;
  out = std::move(m);
  return {};
}

}  // namespace

const char* message_name(const message& m) {
  static constexpr const char* names[] = {"hello", "join_request", "join_accept", "join_redirect",
                                          "chunk", "heartbeat",    "leave"};
  return names[m.index()];
}

shared_bytes encode_frame(const message& m) {
  pb::Envelope envelope;
  std::visit([&](const auto& body) { fill(envelope, body); }, m);
  return frame_of(envelope);
}

void seal_chunk(chunk& c) {
  c.frame = encode_frame(c);
}

std::error_code decode_frame(const shared_bytes& frame, message& out) {
  if (!frame || frame->size() < frame_header_bytes) {
    return wire_errc::malformed_message;
  }
  pb::Envelope envelope;
  if (!envelope.ParseFromArray(frame->data() + frame_header_bytes,
                               static_cast<int>(frame->size() - frame_header_bytes))) {
    return wire_errc::malformed_message;
  }
  switch (envelope.body_case()) {
    case pb::Envelope::kHello:
      return decode(envelope.hello(), out);
    case pb::Envelope::kJoinRequest:
      return decode(envelope.join_request(), out);
    case pb::Envelope::kJoinAccept:
      return decode(envelope.join_accept(), out);
    case pb::Envelope::kJoinRedirect:
      return decode(envelope.join_redirect(), out);
    case pb::Envelope::kChunk:
      return decode(*envelope.mutable_chunk(), frame, out);
    case pb::Envelope::kHeartbeat:
      out = heartbeat{envelope.heartbeat().sent_time_us()};
      return {};
    case pb::Envelope::kLeave:
      if (!text_ok(envelope.leave().reason())) {
        return wire_errc::field_out_of_range;
      }
      out = leave{envelope.leave().reason()};
      return {};
    case pb::Envelope::BODY_NOT_SET:
      break;
  }
  return wire_errc::empty_envelope;
}

}  // namespace treecast::wire
