#include "stream_receiver.hpp"

#include <initializer_list>
#include <stdexcept>
#include <utility>

#include "runtime/address.hpp"
#include "runtime/ed25519.hpp"
#include "runtime/program_loop.hpp"

namespace treecast::viewer {

namespace {

// A downlink narrower than the full rendition is paced by its parent a
// little above the stream (relay/core/child_pacing.hpp): while the join's
// backlog drains, a hiccup upstream has no spare room to catch up in. Its
// jitter buffer starts this deep and shrinks as the stream allows (lab:
// 1 Mbit/s viewers stalled 45-110 ms about a second in, and their buffers
// grew to 289-319 ms).
constexpr std::chrono::microseconds narrow_link_lateness = std::chrono::milliseconds(280);

// Chunks (~5 s of stream) that must fail to open before a viewer that never
// opened one gives up: the key in the link is not this stream's.
constexpr std::uint64_t give_up_undecryptable = 25;

}  // namespace

std::string content_key_of(const std::string& link) {
  const auto key = runtime::link_parameter(link, "key");
  if (!key) {
    throw std::invalid_argument(
        "this link carries no content key (a relay link?): a viewer needs the viewer link");
  }
  std::string bytes = runtime::from_hex(*key);
  if (bytes.size() != runtime::payload_cipher::key_bytes) {
    throw std::invalid_argument("the link's content key is not " +
                                std::to_string(2 * runtime::payload_cipher::key_bytes) +
                                " hex digits: use the whole link the broadcaster printed");
  }
  return bytes;
}

namespace {

// The rendition among `allowed` whose name is `name`, if any.
std::optional<wire::rendition> rendition_named(const std::string& name,
                                               std::initializer_list<wire::rendition> allowed) {
  for (const auto r : allowed) {
    if (name == wire::rendition_name(r)) {
      return r;
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<wire::rendition> parse_rendition_mode(const std::string& mode) {
  if (mode == "auto") {
    return std::nullopt;
  }
  if (const auto r = rendition_named(
          mode, {wire::rendition::full, wire::rendition::low, wire::rendition::audio})) {
    return r;
  }
  throw std::invalid_argument("--rendition must be auto, full, low or audio, not '" + mode + "'");
}

wire::rendition parse_start_rendition(const std::string& name) {
  if (const auto r = rendition_named(name, {wire::rendition::full, wire::rendition::low})) {
    return *r;
  }
  throw std::invalid_argument("--start-rendition must be full or low, not '" + name + "'");
}

stream_receiver::stream_receiver(boost::asio::io_context& io,
                                 const runtime::joining_peer_config& config, core::log_sink log,
                                 handlers on)
    : peer_(io, with_timed_join(config.node), config.runtime, log),
      cipher_(content_key_of(config.link)),
      log_(std::move(log)),
      on_(std::move(on)) {
  peer_.set_delivery_handler([this](const core::shared_chunk& c) { on_chunk(c); });
  peer_.set_give_up_handler([this](const std::string& reason) {
    if (!failed_) {
      failed_ = true;
      on_.fail(reason);
    }
  });
}

core::node_config stream_receiver::with_timed_join(core::node_config node) {
  // Called at the join, long after construction: fixed_ and choice_ are set.
  node.rendition_for_downlink = [this](double kbps, std::span<const std::uint32_t> rates) {
    return wire::rendition_bit(
        fixed_.value_or(rendition_choice::for_downlink(kbps, rates, choice_.wanted())));
  };
  return node;
}

void stream_receiver::start() {
  peer_.start();
  ask(wire::rendition_bit(fixed_.value_or(choice_.wanted())));  // the join asks for where we start
}

void stream_receiver::ask(wire::rendition_set set) {
  // Below full by choice (fixed) or because the link said so: no children.
  const bool narrow = fixed_ ? *fixed_ != wire::rendition::full : choice_.held_down();
  if (set != asked_ || narrow != narrow_) {
    asked_ = set;
    narrow_ = narrow;
    peer_.want_renditions(set, narrow);
  }
}

void stream_receiver::stop() {
  peer_.stop();
}

const wire::chunk_part* stream_receiver::choose_part(const core::shared_chunk& c) {
  if (!fixed_) {
    // A keyframe chunk without rates is of a broadcast of one rendition.
    static constexpr std::uint32_t full_only[] = {1};
    const std::span<const std::uint32_t> kbps = c->rendition_kbps.empty() && c->is_keyframe()
                                                    ? std::span(full_only)
                                                    : std::span(c->rendition_kbps);
    const auto switches = choice_.switches();
    if (!std::exchange(downlink_applied_, true)) {
      if (const auto& downlink = peer_.engine().downlink()) {
        // (No Pong had rates: the first chunk, a keyframe's, has.)
        const wire::rendition before = choice_.wanted();
        const auto& rates =
            downlink->rendition_kbps.empty() ? c->rendition_kbps : downlink->rendition_kbps;
        if (on_.expect_lateness && core::narrower_than_full(downlink->kbps, rates)) {
          on_.expect_lateness(narrow_link_lateness);
        }
        choice_.start_from_downlink(static_cast<std::int64_t>(runtime::wall_time_us()),
                                    downlink->kbps, rates);
        if (choice_.wanted() != before && log_) {
          log_(core::log_level::info, runtime::node_runtime::now(),
               std::string("starting on the ") + wire::rendition_name(choice_.wanted()) +
                   " rendition: " + choice_.reason());
        }
      }
    }
    choice_.on_chunk(static_cast<std::int64_t>(runtime::wall_time_us()),
                     static_cast<std::int64_t>(c->capture_time_us),
                     c->frame ? c->frame->size() : c->payload.size(), kbps);
    if (choice_.switches() != switches && log_) {
      log_(core::log_level::info, runtime::node_runtime::now(),
           std::string("asking for the ") + wire::rendition_name(choice_.wanted()) +
               " rendition: " + choice_.reason());
    }
  }
  const wire::rendition wanted = fixed_.value_or(choice_.wanted());
  picker_.want(wanted);
  const auto was_playing = picker_.playing();
  const auto pick = picker_.choose(c->renditions(), c->is_keyframe());
  if (!pick) {
    return nullptr;
  }
  if (pick->skip_video) {
    playout_.skip_video();
  }
  // Ask for what we want. Going from low to full, also for low until full's
  // keyframe, so the picture goes on meanwhile; any other way, the wanted
  // one alone (its sound plays until its keyframe brings the picture: no
  // second copy on a link that is the reason for the switch).
  const bool up_from_low = wanted == wire::rendition::full && pick->kind == wire::rendition::low;
  ask(wire::rendition_bit(wanted) | (up_from_low ? wire::rendition_bit(wire::rendition::low) : 0));
  if (was_playing != pick->kind && on_.rendition) {
    on_.rendition(pick->kind);
  }
  return c->part(pick->kind);
}

void stream_receiver::on_chunk(const core::shared_chunk& c) {
  if (failed_) {
    return;
  }
  const wire::chunk_part* part = choose_part(c);
  if (!part) {
    return;
  }
  if (!part->is_encrypted()) {
    play(c, part->payload);
    return;
  }
  auto plain = cipher_.open(part->payload, part->nonce);
  if (plain) {
    decrypted_any_ = true;
    play(c, *plain);
    return;
  }
  // Signed by the broadcaster, so not altered: the link's key is wrong.
  ++undecryptable_;
  if (!decrypted_any_ && undecryptable_ >= give_up_undecryptable) {
    failed_ = true;
    on_.fail("the link's content key opens none of this stream's chunks (" +
             std::to_string(undecryptable_) +
             " tried): ask the broadcaster for the viewer link again");
    return;
  }
  if (undecryptable_ % 100 == 1) {
    on_.notice("cannot decrypt chunk " + std::to_string(c->seq) +
               ": wrong content key in the link (" + std::to_string(undecryptable_) +
               " chunks so far)");
  }
}

void stream_receiver::play(const core::shared_chunk& c, std::string_view plain) {
  auto result = playout_.accept(c->seq, c->is_keyframe(), plain);
  if (result.missing) {
    on_.notice("discontinuity: " + std::to_string(*result.missing) + " chunks missing before seq " +
               std::to_string(c->seq) + "; video " +
               (c->is_keyframe() ? "resumes at this keyframe" : "skips to the next keyframe") +
               ", audio goes on");
  }
  if (result.bytes.empty()) {
    return;
  }
  on_.play(std::make_shared<const std::string>(std::move(result.bytes)), c->capture_time_us);
}

}  // namespace treecast::viewer
