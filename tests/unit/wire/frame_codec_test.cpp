// Framing and message codec: round trips, oversize, truncated and garbage input.
#include <gtest/gtest.h>

#include <random>

#include "wire/codec.hpp"
#include "wire/errors.hpp"
#include "wire/frame_decoder.hpp"

namespace treecast::wire {
namespace {

std::vector<shared_bytes> feed_all(frame_decoder& decoder, const byte_buffer& bytes,
                                   std::size_t step, std::error_code& ec) {
  std::vector<shared_bytes> frames;
  for (std::size_t at = 0; at < bytes.size() && !ec; at += step) {
    const std::size_t n = std::min(step, bytes.size() - at);
    ec = decoder.feed({bytes.data() + at, n}, frames);
  }
  return frames;
}

message round_trip(const message& in) {
  const shared_bytes frame = encode_frame(in);
  frame_decoder decoder(default_max_frame_bytes);
  std::error_code ec;
  auto frames = feed_all(decoder, *frame, 7, ec);  // odd split on purpose
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(frames.size(), 1u);
  EXPECT_FALSE(decoder.finish());
  message out;
  EXPECT_FALSE(decode_frame(frames.at(0), out));
  return out;
}

TEST(frame_codec, hello_round_trips) {
  hello h;
  h.node_id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  h.listen_port = 7001;
  h.role = peer_role::viewer;
  h.site = "paris";
  h.max_children = 16;
  const auto out = std::get<hello>(round_trip(h));
  EXPECT_EQ(out.max_children, 16u);
  EXPECT_EQ(out.node_id, h.node_id);
  EXPECT_EQ(out.listen_port, 7001);
  EXPECT_EQ(out.role, peer_role::viewer);
  EXPECT_EQ(out.site, "paris");
  EXPECT_EQ(out.version, protocol_version);
}

TEST(frame_codec, join_messages_round_trip) {
  EXPECT_FALSE(std::get<join_request>(round_trip(join_request{})).resume_from.has_value());
  EXPECT_EQ(std::get<join_request>(round_trip(join_request{42})).resume_from, 42u);
  EXPECT_EQ(std::get<join_request>(round_trip(join_request{0})).resume_from, 0u);
  EXPECT_FALSE(std::get<join_request>(round_trip(join_request{})).can_adopt);
  EXPECT_TRUE(std::get<join_request>(round_trip(join_request{7, true})).can_adopt);
  join_request measured;
  measured.rtt_us = 12'500;
  measured.downlink_kbps = 1'040;
  EXPECT_EQ(std::get<join_request>(round_trip(measured)).rtt_us, 12'500u);
  EXPECT_EQ(std::get<join_request>(round_trip(measured)).downlink_kbps, 1'040u);
  EXPECT_EQ(std::get<join_request>(round_trip(join_request{})).downlink_kbps, 0u);

  join_accept a{3, {node_id_t{1}, node_id_t{2}}};
  const auto accept = std::get<join_accept>(round_trip(a));
  EXPECT_EQ(accept.depth, 3u);
  EXPECT_EQ(accept.path, a.path);
  EXPECT_FALSE(accept.adoptee.has_value());
  a.adoptee = node_id_t{9};
  EXPECT_EQ(std::get<join_accept>(round_trip(a)).adoptee, node_id_t{9});

  join_redirect r{"full", {{"127.0.0.1", 7002}, {"::1", 7003}}};
  const auto redirect = std::get<join_redirect>(round_trip(r));
  EXPECT_EQ(redirect.reason, "full");
  EXPECT_EQ(redirect.candidates, r.candidates);
}

TEST(frame_codec, standby_messages_round_trip) {
  const standby_request q{{node_id_t{1}, node_id_t{2}, node_id_t{3}}, all_renditions, 150};
  EXPECT_EQ(std::get<standby_request>(round_trip(q)).path, q.path);
  EXPECT_EQ(std::get<standby_request>(round_trip(q)).downlink_kbps, 150u);
  const standby_offer o{2, {node_id_t{1}, node_id_t{4}}, 3};
  const auto offer = std::get<standby_offer>(round_trip(o));
  EXPECT_EQ(offer.depth, 2u);
  EXPECT_EQ(offer.path, o.path);
  EXPECT_EQ(offer.free_slots, 3u);
  const auto h = std::get<have>(round_trip(have{99, 1}));
  EXPECT_EQ(h.seq, 99u);
  EXPECT_EQ(h.free_slots, 1u);
  const auto f = std::get<fetch>(round_trip(fetch{40, 2}));
  EXPECT_EQ(f.from_seq, 40u);
  EXPECT_EQ(f.count, 2u);
}

TEST(frame_codec, chunk_round_trip_keeps_the_frame_bytes) {
  chunk c;
  c.stream_id = "stream";
  c.seq = 77;
  c.capture_time_us = 1'700'000'000'000'000;
  c.flags = chunk_flag_keyframe;
  c.payload = std::string(188 * 10, '\x47');
  seal_chunk(c);
  ASSERT_TRUE(c.frame);

  message out;
  ASSERT_FALSE(decode_frame(c.frame, out));
  const auto& got = std::get<chunk>(out);
  EXPECT_EQ(got.seq, 77u);
  EXPECT_EQ(got.capture_time_us, c.capture_time_us);
  EXPECT_TRUE(got.is_keyframe());
  EXPECT_EQ(got.payload, c.payload);
  EXPECT_EQ(got.stream_id, "stream");
  // Forwarding uses the received buffer itself: same object, not a copy.
  EXPECT_EQ(got.frame.get(), c.frame.get());
}

TEST(frame_codec, move_round_trips_and_needs_a_target) {
  const move m{{{"10.0.0.7", 7002}, {"::1", 7003}}};
  EXPECT_EQ(std::get<move>(round_trip(m)).targets, m.targets);
  message out;
  EXPECT_EQ(decode_frame(encode_frame(move{}), out), wire_errc::field_out_of_range);
}

TEST(frame_codec, reachability_round_trips_and_needs_the_address_tried) {
  const auto r = std::get<reachability>(round_trip(reachability{false, {"10.78.1.5", 41965}}));
  EXPECT_FALSE(r.reachable);
  EXPECT_EQ(r.seen_as, (endpoint{"10.78.1.5", 41965}));
  EXPECT_TRUE(std::get<reachability>(round_trip(reachability{true, {"::1", 1}})).reachable);
  message out;
  EXPECT_EQ(decode_frame(encode_frame(reachability{true, {"", 7000}}), out),
            wire_errc::field_out_of_range);
  EXPECT_EQ(decode_frame(encode_frame(reachability{true, {"10.0.0.1", 0}}), out),
            wire_errc::field_out_of_range);
}

TEST(frame_codec, a_padded_pong_round_trips_and_its_padding_is_bounded) {
  EXPECT_EQ(std::get<ping>(round_trip(ping{5, max_ping_padding})).pad_bytes, max_ping_padding);
  pong p;
  p.padding.assign(max_ping_padding, '\0');
  p.rendition_kbps = {2036, 755, 89};
  const auto got = std::get<pong>(round_trip(p));
  EXPECT_EQ(got.padding.size(), max_ping_padding);
  EXPECT_EQ(got.rendition_kbps, p.rendition_kbps);
  message out;
  EXPECT_EQ(decode_frame(encode_frame(ping{5, max_ping_padding + 1}), out),
            wire_errc::field_out_of_range);
  p.padding.push_back('\0');
  EXPECT_EQ(decode_frame(encode_frame(p), out), wire_errc::field_out_of_range);
  p.padding.clear();
  p.rendition_kbps.push_back(1);
  EXPECT_EQ(decode_frame(encode_frame(p), out), wire_errc::field_out_of_range);
  // A Ping carrying padding (an uplink timed), bounded the same way.
  ping carrying{6, 0, std::string(max_ping_padding, '\0')};
  EXPECT_EQ(std::get<ping>(round_trip(carrying)).padding.size(), max_ping_padding);
  carrying.padding.push_back('\0');
  EXPECT_EQ(decode_frame(encode_frame(carrying), out), wire_errc::field_out_of_range);
}

TEST(frame_codec, pong_carries_room_for_strong_joiners) {
  pong p;
  p.room_for_max_children = 2;
  EXPECT_EQ(std::get<pong>(round_trip(p)).room_for_max_children, 2u);
}

TEST(frame_codec, coordinates_round_trip_where_they_are_carried_and_absent_stays_absent) {
  const coordinate here{-1234, 5678, 20, 300};
  pong p;
  p.where = here;
  EXPECT_EQ(std::get<pong>(round_trip(p)).where, here);
  EXPECT_FALSE(std::get<pong>(round_trip(pong{})).where);
  join_request j;
  j.where = here;
  EXPECT_EQ(std::get<join_request>(round_trip(j)).where, here);
  candidates_request q{"paris", true, here, false, 8};
  EXPECT_EQ(std::get<candidates_request>(round_trip(q)).where, here);
  EXPECT_EQ(std::get<candidates_request>(round_trip(q)).max_peers, 8u);
  report r;
  r.where = here;
  r.root_delay_us = 42000;
  peer_summary s;
  s.address = {"10.0.0.1", 7000};
  s.where = here;
  s.root_delay_us = 9000;
  r.candidates.push_back(s);
  const auto back = std::get<report>(round_trip(r));
  EXPECT_EQ(back.where, here);
  EXPECT_EQ(back.root_delay_us, 42000u);
  EXPECT_EQ(back.candidates.at(0).where, here);
  EXPECT_EQ(back.candidates.at(0).root_delay_us, 9000u);
}

TEST(frame_codec, a_coordinate_beyond_the_limits_is_refused) {
  message out;
  pong far;
  far.where = coordinate{max_coordinate_component + 1, 0, 0, 0};
  EXPECT_EQ(decode_frame(encode_frame(far), out), wire_errc::field_out_of_range);
  pong unsure;
  unsure.where = coordinate{0, 0, 0, max_coordinate_error_permille + 1};
  EXPECT_EQ(decode_frame(encode_frame(unsure), out), wire_errc::field_out_of_range);
  join_request tall;
  tall.where = coordinate{0, 0, static_cast<std::uint32_t>(max_coordinate_component) + 1, 0};
  EXPECT_EQ(decode_frame(encode_frame(tall), out), wire_errc::field_out_of_range);
}

TEST(frame_codec, a_reports_health_delta_round_trips_and_too_many_gone_ids_are_refused) {
  report r;
  r.health_delta = true;
  node_id_t gone{};
  gone[0] = 7;
  r.health_gone = {gone};
  const auto back = std::get<report>(round_trip(r));
  EXPECT_TRUE(back.health_delta);
  EXPECT_EQ(back.health_gone, r.health_gone);
  EXPECT_FALSE(std::get<report>(round_trip(report{})).health_delta);
  r.health_gone.assign(max_health_entries + 1, gone);
  message out;
  EXPECT_EQ(decode_frame(encode_frame(r), out), wire_errc::field_out_of_range);
}

TEST(frame_codec, browsers_round_trip_in_the_report_and_its_rows) {
  report r;
  r.browsers = 41;
  r.health.emplace_back();
  r.health[0].browsers = 7;
  const auto back = std::get<report>(round_trip(r));
  EXPECT_EQ(back.browsers, 41u);
  ASSERT_EQ(back.health.size(), 1u);
  EXPECT_EQ(back.health[0].browsers, 7u);
}

TEST(frame_codec, a_rows_rendition_round_trips_absent_stays_absent_and_unknown_is_refused) {
  report r;
  r.health.resize(2);
  r.health[0].playing = rendition::audio;
  const auto back = std::get<report>(round_trip(r));
  ASSERT_EQ(back.health.size(), 2u);
  EXPECT_EQ(back.health[0].playing, rendition::audio);
  EXPECT_FALSE(back.health[1].playing.has_value());  // a relay plays nothing
  r.health[1].playing = static_cast<rendition>(rendition_count);
  message out;
  EXPECT_EQ(decode_frame(encode_frame(r), out), wire_errc::field_out_of_range);
}

TEST(frame_codec, room_for_a_nearer_prober_round_trips) {
  pong p;
  p.room_within_rtt_us = 9'000;
  EXPECT_EQ(std::get<pong>(round_trip(p)).room_within_rtt_us, 9'000u);
  EXPECT_EQ(std::get<pong>(round_trip(pong{})).room_within_rtt_us, 0u);
}

TEST(frame_codec, where_the_stream_enters_a_site_round_trips_and_never_lies_below_the_peer) {
  pong p;
  p.depth = 3;
  p.site_entry_hops = 2;
  EXPECT_EQ(std::get<pong>(round_trip(p)).site_entry_hops, 2u);
  path_update u;
  u.depth = 2;
  u.site_entry_hops = 1;
  EXPECT_EQ(std::get<path_update>(round_trip(u)).site_entry_hops, 1u);
  report r;
  r.site_entry_hops = 4;
  r.site_entry_tag = 0xdeadbeef;
  r.room_for_max_children = 4;
  peer_summary s;
  s.depth = 5;
  s.site_entry_hops = 5;
  s.site_entry_tag = 0x01020304;
  s.room_for_max_children = 8;
  s.address = {"10.0.0.9", 7000};
  r.candidates = {s};
  const auto back = std::get<report>(round_trip(r));
  EXPECT_EQ(back.site_entry_hops, 4u);
  EXPECT_EQ(back.site_entry_tag, 0xdeadbeefu);
  EXPECT_EQ(back.candidates.at(0).site_entry_hops, 5u);
  EXPECT_EQ(back.candidates.at(0).site_entry_tag, 0x01020304u);
  EXPECT_EQ(back.room_for_max_children, 4u);
  EXPECT_EQ(back.candidates.at(0).room_for_max_children, 8u);
  // More hops up than the peer has above it: a lie, refused.
  message out;
  p.site_entry_hops = 4;
  EXPECT_EQ(decode_frame(encode_frame(p), out), wire_errc::field_out_of_range);
  u.site_entry_hops = 3;
  EXPECT_EQ(decode_frame(encode_frame(u), out), wire_errc::field_out_of_range);
  r.candidates[0].site_entry_hops = 6;
  EXPECT_EQ(decode_frame(encode_frame(r), out), wire_errc::field_out_of_range);
}

TEST(frame_codec, heartbeat_and_leave_round_trip) {
  EXPECT_TRUE(std::holds_alternative<heartbeat>(round_trip(heartbeat{})));
  EXPECT_LE(encode_frame(heartbeat{})->size(), 8u);  // four times a second on every link
  EXPECT_FALSE(std::get<heartbeat>(round_trip(heartbeat{})).upstream_late);
  EXPECT_TRUE(std::get<heartbeat>(round_trip(heartbeat{true})).upstream_late);
  EXPECT_EQ(std::get<leave>(round_trip(leave{"bye"})).reason, "bye");
}

TEST(frame_codec, several_frames_in_one_read) {
  byte_buffer stream;
  for (int i = 0; i < 3; ++i) {
    const auto f = encode_frame(leave{std::to_string(i)});
    stream.insert(stream.end(), f->begin(), f->end());
  }
  frame_decoder decoder(default_max_frame_bytes);
  std::error_code ec;
  const auto frames = feed_all(decoder, stream, stream.size(), ec);
  ASSERT_FALSE(ec);
  ASSERT_EQ(frames.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    message m;
    ASSERT_FALSE(decode_frame(frames[i], m));
    EXPECT_EQ(std::get<leave>(m).reason, std::to_string(i));
  }
}

TEST(frame_codec, oversize_frame_is_refused_from_its_header) {
  frame_decoder decoder(1024);
  byte_buffer header(4);
  write_frame_header(header.data(), 1025);
  std::vector<shared_bytes> frames;
  EXPECT_EQ(decoder.feed(header, frames), wire_errc::frame_too_large);
  EXPECT_TRUE(frames.empty());
  // The decoder stays failed: nothing further is trusted.
  const auto ok = encode_frame(heartbeat{});
  EXPECT_EQ(decoder.feed(*ok, frames), wire_errc::frame_too_large);
  EXPECT_TRUE(frames.empty());
}

TEST(frame_codec, a_large_first_frame_is_refused_before_the_hello) {
  chunk c;
  c.payload = std::string(2 * max_hello_frame_bytes, 'x');
  seal_chunk(c);
  std::vector<shared_bytes> frames;
  frame_decoder before_hello(default_max_frame_bytes, max_hello_frame_bytes);
  EXPECT_EQ(before_hello.feed(*c.frame, frames), wire_errc::frame_too_large);
  EXPECT_TRUE(frames.empty());
  // After a small first frame, the same chunk is fine.
  frame_decoder after_hello(default_max_frame_bytes, max_hello_frame_bytes);
  const auto hello_frame = encode_frame(hello{});
  byte_buffer stream(hello_frame->begin(), hello_frame->end());
  stream.insert(stream.end(), c.frame->begin(), c.frame->end());
  EXPECT_FALSE(after_hello.feed(stream, frames));
  EXPECT_EQ(frames.size(), 2u);
}

TEST(frame_codec, frame_at_the_bound_is_accepted) {
  chunk c;
  c.payload = std::string(900, 'x');
  seal_chunk(c);
  frame_decoder decoder(c.frame->size() - frame_header_bytes);
  std::vector<shared_bytes> frames;
  EXPECT_FALSE(decoder.feed(*c.frame, frames));
  EXPECT_EQ(frames.size(), 1u);
}

TEST(frame_codec, truncated_frame_is_reported_at_end_of_stream) {
  const auto frame = encode_frame(leave{"going"});
  frame_decoder decoder(default_max_frame_bytes);
  std::vector<shared_bytes> frames;
  ASSERT_FALSE(decoder.feed({frame->data(), frame->size() - 2}, frames));
  EXPECT_TRUE(frames.empty());
  EXPECT_EQ(decoder.finish(), wire_errc::truncated_frame);

  frame_decoder header_only(default_max_frame_bytes);
  ASSERT_FALSE(header_only.feed({frame->data(), 2}, frames));
  EXPECT_EQ(header_only.finish(), wire_errc::truncated_frame);
}

TEST(frame_codec, garbage_bytes_fail_to_decode) {
  std::mt19937 random(1234);
  int refused = 0;
  for (int round = 0; round < 200; ++round) {
    byte_buffer frame(4 + 1 + random() % 64);
    for (auto& b : frame) {
      b = static_cast<std::uint8_t>(random());
    }
    write_frame_header(frame.data(), static_cast<std::uint32_t>(frame.size() - 4));
    message m;
    // Random bytes must never crash the decoder; nearly all are refused.
    if (decode_frame(std::make_shared<byte_buffer>(frame), m)) {
      ++refused;
    }
  }
  EXPECT_GT(refused, 150);
}

TEST(frame_codec, empty_envelope_and_bad_fields_are_refused) {
  message m;
  auto empty = std::make_shared<byte_buffer>(4, 0);
  EXPECT_EQ(decode_frame(empty, m), wire_errc::empty_envelope);

  // A Hello whose node id is not 16 bytes: field 1 (hello), containing field 2 (peer_id, 3 bytes).
  auto bad_hello =
      std::make_shared<byte_buffer>(byte_buffer{0, 0, 0, 7, 0x0a, 5, 0x12, 3, 1, 2, 3});
  EXPECT_EQ(decode_frame(bad_hello, m), wire_errc::field_out_of_range);

  // A Chunk whose body is not a ChunkBody: field 5 (chunk) { field 1 (body) = 0xff 0xff }.
  auto bad_chunk =
      std::make_shared<byte_buffer>(byte_buffer{0, 0, 0, 6, 0x2a, 4, 0x0a, 2, 0xff, 0xff});
  EXPECT_EQ(decode_frame(bad_chunk, m), wire_errc::malformed_chunk);

  join_redirect r;
  r.candidates.assign(max_redirect_candidates + 1, endpoint{"h", 1});
  EXPECT_EQ(decode_frame(encode_frame(r), m), wire_errc::field_out_of_range);

  // A Fetch for more chunks than a gap fill needs, or for none.
  EXPECT_EQ(decode_frame(encode_frame(fetch{1, max_fetch_chunks + 1}), m),
            wire_errc::field_out_of_range);
  EXPECT_EQ(decode_frame(encode_frame(fetch{1, 0}), m), wire_errc::field_out_of_range);
}

// The simulator counts control bytes by kind from the first tag alone: a
// one-byte tag (have is field 16: two bytes) and no tag at all.
TEST(frame_codec, a_frame_names_its_message_from_its_first_tag) {
  auto name_of = [](const message& m) {
    const shared_bytes frame = encode_frame(m);
    return std::string(
        frame_message_name({reinterpret_cast<const char*>(frame->data()), frame->size()}));
  };
  EXPECT_EQ(name_of(heartbeat{}), "heartbeat");
  EXPECT_EQ(name_of(ping{42, 0, {}}), "ping");
  EXPECT_EQ(name_of(have{7, 2}), "have");
  EXPECT_EQ(name_of(fetch{3, 4}), "fetch");
  EXPECT_EQ(frame_message_name(std::string_view("\0\0\0\0", 4)), "");
  EXPECT_EQ(frame_message_name(std::string_view("\0\0\0\1\xff", 5)), "");
}

}  // namespace
}  // namespace treecast::wire
