#include "wire/codec.hpp"

#include <algorithm>
#include <cstring>
#include <mutex>

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

void fill_coordinate(pb::Coordinate* out, const coordinate& in) {
  out->set_x(in.x);
  out->set_y(in.y);
  out->set_height(in.height);
  out->set_error_permille(in.error_permille);
}

// Absent stays absent; present must be within the limits.
bool decode_coordinate(bool present, const pb::Coordinate& in, std::optional<coordinate>& out) {
  if (!present) {
    return true;
  }
  const auto within = [](std::int64_t v) {
    return v >= -max_coordinate_component && v <= max_coordinate_component;
  };
  if (!within(in.x()) || !within(in.y()) || !within(in.height()) ||
      in.error_permille() > max_coordinate_error_permille) {
    return false;
  }
  out = coordinate{in.x(), in.y(), in.height(), in.error_permille()};
  return true;
}

void fill(pb::Envelope& e, const hello& m) {
  auto* h = e.mutable_hello();
  h->set_protocol_version(m.version);
  h->set_peer_id(to_bytes(m.node_id));
  h->set_listen_port(m.listen_port);
  h->set_role(static_cast<pb::PeerRole>(m.role));
  h->set_site(m.site);
  h->set_token(m.token);
  h->set_max_children(m.max_children);
}

// Sets of renditions travel as bits, 0 meaning every one.
std::uint32_t rendition_bits(rendition_set set) {
  return set == all_renditions ? 0 : set;
}

rendition_set rendition_set_of(std::uint32_t bits) {
  const rendition_set known = bits & all_renditions;
  return known == 0 ? all_renditions : known;
}

void fill(pb::Envelope& e, const join_request& m) {
  auto* j = e.mutable_join_request();
  j->set_renditions(rendition_bits(m.renditions));
  if (m.resume_from) {
    j->set_resume_from(*m.resume_from);
  }
  j->set_can_adopt(m.can_adopt);
  j->set_rtt_us(m.rtt_us);
  j->set_downlink_kbps(m.downlink_kbps);
  if (m.where) {
    fill_coordinate(j->mutable_coordinate(), *m.where);
  }
}

template <typename Repeated>
void fill_endpoints(Repeated* out, const std::vector<endpoint>& in) {
  for (const auto& e : in) {
    auto* ep = out->Add();
    ep->set_host(e.host);
    ep->set_port(e.port);
  }
}

template <typename Repeated>
void fill_path(Repeated* out, const std::vector<node_id_t>& path) {
  for (const auto& id : path) {
    out->Add(to_bytes(id));
  }
}

// JoinAccept and PathUpdate carry the same thing: a tree position.
template <typename Pb, typename Message>
void fill_position(Pb* out, const Message& m) {
  out->set_depth(m.depth);
  fill_path(out->mutable_path(), m.path);
  fill_endpoints(out->mutable_ancestors(), m.ancestors);
  fill_endpoints(out->mutable_backups(), m.backups);
  out->set_root_delay_us(m.root_delay_us);
  out->set_site_entry_hops(m.site_entry_hops);
}

void fill(pb::Envelope& e, const join_accept& m) {
  fill_position(e.mutable_join_accept(), m);
  if (m.adoptee) {
    e.mutable_join_accept()->set_adoptee(to_bytes(*m.adoptee));
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
  auto* c = e.mutable_chunk();
  // The signed bytes go out exactly as signed; only an unsigned chunk (tests,
  // the simulator) is serialized here.
  c->set_body(m.body.empty() ? encode_chunk_body(m, m) : m.body);
  c->set_signature(m.signature);
  for (const chunk_part& p : m.more) {
    auto* part = c->add_more();
    part->set_body(p.body.empty() ? encode_chunk_body(m, p) : p.body);
    part->set_signature(p.signature);
  }
}

void fill(pb::Envelope& e, const heartbeat& m) {
  e.mutable_heartbeat()->set_upstream_late(m.upstream_late);
}

void fill(pb::Envelope& e, const leave& m) {
  e.mutable_leave()->set_reason(m.reason);
  fill_endpoints(e.mutable_leave()->mutable_handoff(), m.handoff);
}

void fill(pb::Envelope& e, const standby_request& m) {
  fill_path(e.mutable_standby_request()->mutable_path(), m.path);
  e.mutable_standby_request()->set_renditions(rendition_bits(m.renditions));
  e.mutable_standby_request()->set_downlink_kbps(m.downlink_kbps);
  e.mutable_standby_request()->set_have_interval_ms(m.have_interval_ms);
}

void fill(pb::Envelope& e, const standby_offer& m) {
  auto* o = e.mutable_standby_offer();
  o->set_depth(m.depth);
  fill_path(o->mutable_path(), m.path);
  o->set_free_slots(m.free_slots);
}

void fill(pb::Envelope& e, const have& m) {
  e.mutable_have()->set_seq(m.seq);
  e.mutable_have()->set_free_slots(m.free_slots);
}

void fill(pb::Envelope& e, const move& m) {
  fill_endpoints(e.mutable_move()->mutable_targets(), m.targets);
}

void fill(pb::Envelope& e, const subscribe& m) {
  e.mutable_subscribe()->set_renditions(rendition_bits(m.renditions));
}

void fill(pb::Envelope& e, const reachability& m) {
  auto* r = e.mutable_reachability();
  r->set_reachable(m.reachable);
  r->mutable_seen_as()->set_host(m.seen_as.host);
  r->mutable_seen_as()->set_port(m.seen_as.port);
}

void fill(pb::Envelope& e, const fetch& m) {
  e.mutable_fetch()->set_from_seq(m.from_seq);
  e.mutable_fetch()->set_count(m.count);
}

bool text_ok(const std::string& s) {
  return s.size() <= max_text_bytes;
}

bool role_ok(int role) {
  return role >= pb::PEER_ROLE_UNSPECIFIED && role <= pb::PEER_ROLE_VIEWER;
}

void fill(pb::Envelope& e, const ping& m) {
  e.mutable_ping()->set_nonce(m.nonce);
  e.mutable_ping()->set_pad_bytes(m.pad_bytes);
  e.mutable_ping()->set_padding(m.padding);
}

void fill(pb::Envelope& e, const pong& m) {
  auto* p = e.mutable_pong();
  p->set_nonce(m.nonce);
  p->set_attached(m.attached);
  p->set_depth(m.depth);
  p->set_free_slots(m.free_slots);
  fill_path(p->mutable_path(), m.path);
  p->set_root_signature(m.root_signature);
  p->set_root_delay_us(m.root_delay_us);
  p->set_room_for_max_children(m.room_for_max_children);
  if (m.where) {
    fill_coordinate(p->mutable_coordinate(), *m.where);
  }
  p->set_site_entry_hops(m.site_entry_hops);
  p->set_room_within_rtt_us(m.room_within_rtt_us);
  p->set_padding(m.padding);
  for (const std::uint32_t kbps : m.rendition_kbps) {
    p->add_rendition_kbps(kbps);
  }
}

void fill(pb::Envelope& e, const path_update& m) {
  fill_position(e.mutable_path_update(), m);
}

void fill_summary(pb::PeerSummary* out, const peer_summary& in) {
  out->set_peer_id(to_bytes(in.node_id));
  out->mutable_endpoint()->set_host(in.address.host);
  out->mutable_endpoint()->set_port(in.address.port);
  out->set_depth(in.depth);
  out->set_free_slots(in.free_slots);
  out->set_site(in.site);
  out->set_role(static_cast<pb::PeerRole>(in.role));
  if (in.where) {
    fill_coordinate(out->mutable_coordinate(), *in.where);
  }
  out->set_root_delay_us(in.root_delay_us);
  out->set_site_entry_hops(in.site_entry_hops);
  out->set_site_entry_tag(in.site_entry_tag);
  out->set_room_for_max_children(in.room_for_max_children);
}

void fill_health(pb::PeerHealth* out, const peer_health& in) {
  out->set_peer_id(in.node_id.data(), in.node_id.size());
  if (in.parent_id) {
    out->set_parent_id(in.parent_id->data(), in.parent_id->size());
  }
  out->mutable_endpoint()->set_host(in.address.host);
  out->mutable_endpoint()->set_port(in.address.port);
  out->set_depth(in.depth);
  out->set_children(in.children);
  out->set_max_children(in.max_children);
  out->set_rtt_ms(in.rtt_ms);
  out->set_buffer_ms(in.buffer_ms);
  out->set_chunks_missed(in.chunks_missed);
  out->set_latency_ms(in.latency_ms);
  out->set_site(in.site);
  out->set_role(static_cast<pb::PeerRole>(in.role));
  out->set_stalls(in.stalls);
  out->set_stall_ms(in.stall_ms);
  out->set_browsers(in.browsers);
  if (in.playing) {
    out->set_playing(static_cast<pb::Rendition>(*in.playing));
  }
}

void fill(pb::Envelope& e, const report& m) {
  auto* r = e.mutable_report();
  r->set_subtree_size(m.subtree_size);
  r->set_subtree_depth(m.subtree_depth);
  r->set_free_slots(m.free_slots);
  r->set_viewers(m.viewers);
  r->set_relays(m.relays);
  r->set_chunks_missed(m.chunks_missed);
  r->set_stall_ms(m.stall_ms);
  r->set_peers_stalled(m.peers_stalled);
  r->set_browsers(m.browsers);
  if (m.where) {
    fill_coordinate(r->mutable_coordinate(), *m.where);
  }
  r->set_root_delay_us(m.root_delay_us);
  r->set_site_entry_hops(m.site_entry_hops);
  r->set_site_entry_tag(m.site_entry_tag);
  r->set_room_for_max_children(m.room_for_max_children);
  for (const auto& c : m.candidates) {
    fill_summary(r->add_candidates(), c);
  }
  for (const auto& h : m.health) {
    fill_health(r->add_health(), h);
  }
  r->set_health_delta(m.health_delta);
  for (const auto& id : m.health_gone) {
    r->add_health_gone(id.data(), id.size());
  }
}

void fill(pb::Envelope& e, const candidates_request& m) {
  e.mutable_candidates_request()->set_site(m.site);
  e.mutable_candidates_request()->set_member(m.member);
  e.mutable_candidates_request()->set_gathering(m.gathering);
  e.mutable_candidates_request()->set_max_peers(m.max_peers);
  if (m.where) {
    fill_coordinate(e.mutable_candidates_request()->mutable_coordinate(), *m.where);
  }
}

void fill(pb::Envelope& e, const candidates& m) {
  auto* c = e.mutable_candidates();
  for (const auto& p : m.peers) {
    fill_summary(c->add_peers(), p);
  }
}

std::error_code decode(const pb::Hello& in, message& out) {
  hello m;
  m.version = in.protocol_version();
  if (!to_node_id(in.peer_id(), m.node_id) || in.listen_port() > 65535 || !text_ok(in.site()) ||
      !role_ok(in.role()) || in.token().size() > max_token_bytes) {
    return wire_errc::field_out_of_range;
  }
  m.listen_port = static_cast<std::uint16_t>(in.listen_port());
  m.role = static_cast<peer_role>(in.role());
  m.site = in.site();
  m.token = in.token();
  m.max_children = in.max_children();
  out = std::move(m);
  return {};
}

std::error_code decode(const pb::JoinRequest& in, message& out) {
  join_request m;
  if (in.has_resume_from()) {
    m.resume_from = in.resume_from();
  }
  m.can_adopt = in.can_adopt();
  m.rtt_us = in.rtt_us();
  m.renditions = rendition_set_of(in.renditions());
  m.downlink_kbps = in.downlink_kbps();
  if (!decode_coordinate(in.has_coordinate(), in.coordinate(), m.where)) {
    return wire_errc::field_out_of_range;
  }
  out = m;
  return {};
}

// At most `limit` peer ids of the right length.
template <typename Repeated>
bool decode_node_ids(const Repeated& in, std::size_t limit, std::vector<node_id_t>& out) {
  if (static_cast<std::size_t>(in.size()) > limit) {
    return false;
  }
  out.resize(in.size());
  for (int i = 0; i < in.size(); ++i) {
    if (!to_node_id(in.Get(i), out[i])) {
      return false;
    }
  }
  return true;
}

template <typename Repeated>
bool decode_path(const Repeated& in, std::vector<node_id_t>& out) {
  return decode_node_ids(in, max_path_length, out);
}

// An empty host is allowed in summaries: it names the peer that sent them.
bool endpoint_ok(const pb::Endpoint& e) {
  return text_ok(e.host()) && e.port() != 0 && e.port() <= 65535;
}

template <typename Repeated>
bool decode_endpoints(const Repeated& in, std::vector<endpoint>& out, std::size_t limit) {
  if (static_cast<std::size_t>(in.size()) > limit) {
    return false;
  }
  for (const auto& e : in) {
    if (!endpoint_ok(e) || e.host().empty()) {
      return false;
    }
    out.push_back({e.host(), static_cast<std::uint16_t>(e.port())});
  }
  return true;
}

template <typename Repeated>
bool decode_summaries(const Repeated& in, std::vector<peer_summary>& out) {
  if (static_cast<std::size_t>(in.size()) > max_peer_summaries) {
    return false;
  }
  for (const auto& s : in) {
    peer_summary p;
    if (!to_node_id(s.peer_id(), p.node_id) || !endpoint_ok(s.endpoint()) || !text_ok(s.site()) ||
        !role_ok(s.role()) || !decode_coordinate(s.has_coordinate(), s.coordinate(), p.where) ||
        s.site_entry_hops() > s.depth()) {
      return false;
    }
    p.address = {s.endpoint().host(), static_cast<std::uint16_t>(s.endpoint().port())};
    p.depth = s.depth();
    p.free_slots = s.free_slots();
    p.site = s.site();
    p.role = static_cast<peer_role>(s.role());
    p.root_delay_us = s.root_delay_us();
    p.site_entry_hops = s.site_entry_hops();
    p.site_entry_tag = s.site_entry_tag();
    p.room_for_max_children = s.room_for_max_children();
    out.push_back(std::move(p));
  }
  return true;
}

// JoinAccept and PathUpdate carry the same thing: a tree position.
template <typename Message, typename Pb>
std::error_code decode_position(const Pb& in, message& out) {
  Message m;
  m.depth = in.depth();
  m.root_delay_us = in.root_delay_us();
  m.site_entry_hops = in.site_entry_hops();
  if (!decode_path(in.path(), m.path) || m.site_entry_hops > m.depth ||
      !decode_endpoints(in.ancestors(), m.ancestors, max_path_length) ||
      !decode_endpoints(in.backups(), m.backups, max_redirect_candidates)) {
    return wire_errc::field_out_of_range;
  }
  out = std::move(m);
  return {};
}

std::error_code decode(const pb::Pong& in, message& out) {
  pong m;
  m.nonce = in.nonce();
  m.attached = in.attached();
  m.depth = in.depth();
  m.free_slots = in.free_slots();
  m.root_delay_us = in.root_delay_us();
  m.room_for_max_children = in.room_for_max_children();
  m.site_entry_hops = in.site_entry_hops();
  m.room_within_rtt_us = in.room_within_rtt_us();
  if (!decode_path(in.path(), m.path) || in.root_signature().size() > max_signature_bytes ||
      m.site_entry_hops > m.depth || in.padding().size() > max_ping_padding ||
      static_cast<std::size_t>(in.rendition_kbps_size()) > rendition_count ||
      !decode_coordinate(in.has_coordinate(), in.coordinate(), m.where)) {
    return wire_errc::field_out_of_range;
  }
  m.root_signature = in.root_signature();
  m.padding = in.padding();
  m.rendition_kbps.assign(in.rendition_kbps().begin(), in.rendition_kbps().end());
  out = std::move(m);
  return {};
}

bool decode_health(const google::protobuf::RepeatedPtrField<pb::PeerHealth>& in,
                   std::vector<peer_health>& out) {
  if (static_cast<std::size_t>(in.size()) > max_health_entries) {
    return false;
  }
  out.reserve(static_cast<std::size_t>(in.size()));
  for (const auto& h : in) {
    peer_health p;
    // Port 0: a peer that accepts no children.
    if (!to_node_id(h.peer_id(), p.node_id) || !text_ok(h.endpoint().host()) ||
        h.endpoint().port() > 65535 || !text_ok(h.site()) || !role_ok(h.role()) ||
        (h.has_playing() && static_cast<std::uint32_t>(h.playing()) >= rendition_count)) {
      return false;
    }
    if (!h.parent_id().empty()) {
      node_id_t parent{};
      if (!to_node_id(h.parent_id(), parent)) {
        return false;
      }
      p.parent_id = parent;
    }
    p.address = {h.endpoint().host(), static_cast<std::uint16_t>(h.endpoint().port())};
    p.depth = h.depth();
    p.children = h.children();
    p.max_children = h.max_children();
    p.rtt_ms = h.rtt_ms();
    p.buffer_ms = h.buffer_ms();
    p.chunks_missed = h.chunks_missed();
    p.latency_ms = h.latency_ms();
    p.site = h.site();
    p.role = static_cast<peer_role>(h.role());
    p.stalls = h.stalls();
    p.stall_ms = h.stall_ms();
    p.browsers = h.browsers();
    if (h.has_playing()) {
      p.playing = static_cast<rendition>(h.playing());
    }
    out.push_back(std::move(p));
  }
  return true;
}

std::error_code decode(const pb::Report& in, message& out) {
  report m;
  m.subtree_size = in.subtree_size();
  m.subtree_depth = in.subtree_depth();
  m.free_slots = in.free_slots();
  m.viewers = in.viewers();
  m.relays = in.relays();
  m.chunks_missed = in.chunks_missed();
  m.stall_ms = in.stall_ms();
  m.peers_stalled = in.peers_stalled();
  m.browsers = in.browsers();
  m.root_delay_us = in.root_delay_us();
  m.health_delta = in.health_delta();
  m.site_entry_hops = in.site_entry_hops();
  m.site_entry_tag = in.site_entry_tag();
  m.room_for_max_children = in.room_for_max_children();
  if (!decode_summaries(in.candidates(), m.candidates) || !decode_health(in.health(), m.health) ||
      !decode_node_ids(in.health_gone(), max_health_entries, m.health_gone) ||
      !decode_coordinate(in.has_coordinate(), in.coordinate(), m.where)) {
    return wire_errc::field_out_of_range;
  }
  out = std::move(m);
  return {};
}

std::error_code decode(const pb::Candidates& in, message& out) {
  candidates m;
  if (!decode_summaries(in.peers(), m.peers)) {
    return wire_errc::field_out_of_range;
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

// One signed part: its body parsed into `part`, the body's shared fields
// into `body`.
std::error_code decode_part(std::string& signed_body, std::string& signature, pb::ChunkBody& body,
                            chunk_part& part) {
  if (!body.ParseFromString(signed_body)) {
    return wire_errc::malformed_chunk;
  }
  if (body.stream_id().size() > max_stream_id_bytes || body.nonce().size() > 32 ||
      body.rendition() >= rendition_count || signature.size() > max_signature_bytes) {
    return wire_errc::field_out_of_range;
  }
  part.kind = static_cast<rendition>(body.rendition());
  part.flags = body.flags();
  part.payload = std::move(*body.mutable_payload());
  part.nonce = std::move(*body.mutable_nonce());
  part.signature = std::move(signature);
  part.body = std::move(signed_body);
  return {};
}

std::error_code decode(pb::Chunk& in, const shared_bytes& frame, message& out) {
  if (static_cast<std::uint32_t>(in.more_size()) >= rendition_count) {
    return wire_errc::field_out_of_range;
  }
  pb::ChunkBody body;
  chunk m;
  if (const std::error_code ec =
          decode_part(*in.mutable_body(), *in.mutable_signature(), body, m)) {
    return ec;
  }
  m.stream_id = std::move(*body.mutable_stream_id());
  m.seq = body.seq();
  m.capture_time_us = body.capture_time_us();
  if (static_cast<std::uint32_t>(body.rendition_kbps_size()) > rendition_count) {
    return wire_errc::field_out_of_range;
  }
  m.rendition_kbps.assign(body.rendition_kbps().begin(), body.rendition_kbps().end());
  rendition_set seen = rendition_bit(m.kind);
  for (auto& in_part : *in.mutable_more()) {
    chunk_part& part = m.more.emplace_back();
    if (const std::error_code ec =
            decode_part(*in_part.mutable_body(), *in_part.mutable_signature(), body, part)) {
      return ec;
    }
    // Parts of one chunk are one seq of one stream, each rendition once.
    if (body.stream_id() != m.stream_id || body.seq() != m.seq ||
        body.capture_time_us() != m.capture_time_us || (seen & rendition_bit(part.kind))) {
      return wire_errc::malformed_chunk;
    }
    seen |= rendition_bit(part.kind);
  }
  m.frame = frame;
  out = std::move(m);
  return {};
}

}  // namespace

std::string encode_chunk_body(const chunk& c, const chunk_part& part) {
  pb::ChunkBody body;
  body.set_stream_id(c.stream_id);
  body.set_seq(c.seq);
  body.set_capture_time_us(c.capture_time_us);
  body.set_flags(part.flags);
  body.set_payload(part.payload);
  body.set_nonce(part.nonce);
  body.set_rendition(static_cast<std::uint32_t>(part.kind));
  for (const std::uint32_t kbps : c.rendition_kbps) {
    body.add_rendition_kbps(kbps);
  }
  return body.SerializeAsString();
}

const char* rendition_name(rendition r) {
  switch (r) {
    case rendition::full:
      return "full";
    case rendition::low:
      return "low";
    case rendition::audio:
      return "audio";
  }
  return "unknown";
}

const char* message_name(const message& m) {
  static constexpr const char* names[] = {"hello",         "join_request",
                                          "join_accept",   "join_redirect",
                                          "chunk",         "heartbeat",
                                          "leave",         "ping",
                                          "pong",          "path_update",
                                          "report",        "candidates_request",
                                          "candidates",    "standby_request",
                                          "standby_offer", "have",
                                          "fetch",         "move",
                                          "reachability",  "subscribe"};
  static_assert(std::size(names) == std::variant_size_v<message>);
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
  // protobuf logs each string field that is not UTF-8: a hostile peer could
  // flood our logs that way. The error is returned instead, and the link
  // closed with it.
  static std::once_flag quiet;
  std::call_once(quiet, [] { google::protobuf::SetLogHandler(nullptr); });
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
    case pb::Envelope::kJoinAccept: {
      if (const std::error_code ec = decode_position<join_accept>(envelope.join_accept(), out)) {
        return ec;
      }
      const std::string& adoptee = envelope.join_accept().adoptee();
      if (!adoptee.empty()) {
        node_id_t id{};
        if (!to_node_id(adoptee, id)) {
          return wire_errc::field_out_of_range;
        }
        std::get<join_accept>(out).adoptee = id;
      }
      return {};
    }
    case pb::Envelope::kJoinRedirect:
      return decode(envelope.join_redirect(), out);
    case pb::Envelope::kChunk:
      return decode(*envelope.mutable_chunk(), frame, out);
    case pb::Envelope::kHeartbeat:
      out = heartbeat{envelope.heartbeat().upstream_late()};
      return {};
    case pb::Envelope::kLeave: {
      leave m{envelope.leave().reason(), {}};
      if (!text_ok(m.reason) ||
          !decode_endpoints(envelope.leave().handoff(), m.handoff, max_redirect_candidates)) {
        return wire_errc::field_out_of_range;
      }
      out = std::move(m);
      return {};
    }
    case pb::Envelope::kPing:
      if (envelope.ping().pad_bytes() > max_ping_padding ||
          envelope.ping().padding().size() > max_ping_padding) {
        return wire_errc::field_out_of_range;
      }
      out = ping{envelope.ping().nonce(), envelope.ping().pad_bytes(), envelope.ping().padding()};
      return {};
    case pb::Envelope::kPong:
      return decode(envelope.pong(), out);
    case pb::Envelope::kPathUpdate:
      return decode_position<path_update>(envelope.path_update(), out);
    case pb::Envelope::kReport:
      return decode(envelope.report(), out);
    case pb::Envelope::kCandidatesRequest: {
      const auto& in = envelope.candidates_request();
      candidates_request m{in.site(), in.member(), std::nullopt, in.gathering(), in.max_peers()};
      if (!text_ok(in.site()) ||
          !decode_coordinate(in.has_coordinate(), in.coordinate(), m.where)) {
        return wire_errc::field_out_of_range;
      }
      out = std::move(m);
      return {};
    }
    case pb::Envelope::kCandidates:
      return decode(envelope.candidates(), out);
    case pb::Envelope::kStandbyRequest: {
      standby_request m;
      if (!decode_path(envelope.standby_request().path(), m.path)) {
        return wire_errc::field_out_of_range;
      }
      m.renditions = rendition_set_of(envelope.standby_request().renditions());
      m.downlink_kbps = envelope.standby_request().downlink_kbps();
      m.have_interval_ms = envelope.standby_request().have_interval_ms();
      out = std::move(m);
      return {};
    }
    case pb::Envelope::kStandbyOffer: {
      standby_offer m;
      m.depth = envelope.standby_offer().depth();
      m.free_slots = envelope.standby_offer().free_slots();
      if (!decode_path(envelope.standby_offer().path(), m.path)) {
        return wire_errc::field_out_of_range;
      }
      out = std::move(m);
      return {};
    }
    case pb::Envelope::kHave:
      out = have{envelope.have().seq(), envelope.have().free_slots()};
      return {};
    case pb::Envelope::kFetch:
      if (envelope.fetch().count() == 0 || envelope.fetch().count() > max_fetch_chunks) {
        return wire_errc::field_out_of_range;
      }
      out = fetch{envelope.fetch().from_seq(), envelope.fetch().count()};
      return {};
    case pb::Envelope::kMove: {
      move m;
      if (envelope.move().targets().empty() ||
          !decode_endpoints(envelope.move().targets(), m.targets, max_redirect_candidates)) {
        return wire_errc::field_out_of_range;
      }
      out = std::move(m);
      return {};
    }
    case pb::Envelope::kReachability: {
      const auto& seen_as = envelope.reachability().seen_as();
      if (!endpoint_ok(seen_as) || seen_as.host().empty()) {
        return wire_errc::field_out_of_range;
      }
      out = reachability{envelope.reachability().reachable(),
                         {seen_as.host(), static_cast<std::uint16_t>(seen_as.port())}};
      return {};
    }
    case pb::Envelope::kSubscribe:
      out = subscribe{rendition_set_of(envelope.subscribe().renditions())};
      return {};
    case pb::Envelope::BODY_NOT_SET:
      break;
  }
  return wire_errc::empty_envelope;
}

std::string_view frame_message_name(std::string_view frame) {
  // The tag is a varint: field number << 3 | wire type.
  std::uint64_t tag = 0;
  for (std::size_t i = frame_header_bytes, shift = 0; i < frame.size() && shift < 35;
       ++i, shift += 7) {
    const auto byte = static_cast<std::uint8_t>(frame[i]);
    tag |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) {
      const auto* field = pb::Envelope::descriptor()->FindFieldByNumber(static_cast<int>(tag >> 3));
      return field ? std::string_view(field->name()) : std::string_view();
    }
  }
  return {};
}

}  // namespace treecast::wire
