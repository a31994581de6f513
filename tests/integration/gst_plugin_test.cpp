// The GStreamer plugin with GStreamer's own tools, against real treecast
// programs on loopback: gst-inspect-1.0 lists the elements, gst-play-1.0
// and playbin open treecast:// links and decode the broadcast, a
// treecastsink pipeline broadcasts to a treecast-viewer, and a bad link is
// an element error naming what is wrong.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "local_tree.hpp"

namespace treecast::testing {
namespace {

using namespace std::chrono_literals;

// GStreamer's tools, run with the build's plugin on their path.
std::unique_ptr<child_process> gst_tool(const local_tree& tree, const std::string& label,
                                        std::vector<std::string> args) {
  args.insert(args.begin(),
              {"/usr/bin/env", std::string("GST_PLUGIN_PATH=") + TREECAST_GST_PLUGIN_DIR});
  return std::make_unique<child_process>(std::move(args), tree.log_path(label));
}

std::string all_lines(const child_process& p) {
  std::string text;
  for (const auto& line : p.lines()) {
    text += line + "\n";
  }
  return text;
}

// The value of `field` in a serialized GstStructure line printed by
// gst-launch-1.0 -m: field=(string)"..." with backslash escapes.
std::string structure_string(const std::string& line, const std::string& field) {
  const std::string lead = field + "=(string)\"";
  const auto at = line.find(lead);
  if (at == std::string::npos) {
    return "";
  }
  std::string value;
  for (std::size_t i = at + lead.size(); i < line.size() && line[i] != '"'; ++i) {
    if (line[i] == '\\' && i + 1 < line.size()) {
      ++i;
    }
    value += line[i];
  }
  return value;
}

TEST(gst_plugin, inspect_lists_both_elements_and_their_properties) {
  local_tree tree("gst_inspect");
  auto plugin = gst_tool(tree, "inspect", {"gst-inspect-1.0", "treecast"});
  ASSERT_EQ(plugin->wait_exit(30s), 0) << "see " << tree.log_path("inspect");
  const std::string listing = all_lines(*plugin);
  EXPECT_NE(listing.find("treecastsrc"), std::string::npos) << listing;
  EXPECT_NE(listing.find("treecastsink"), std::string::npos) << listing;

  auto src = gst_tool(tree, "inspect-src", {"gst-inspect-1.0", "treecastsrc"});
  ASSERT_EQ(src->wait_exit(30s), 0);
  const std::string src_text = all_lines(*src);
  for (const char* property : {"link", "latency", "max-children", "listen", "site", "log-level"}) {
    EXPECT_NE(src_text.find(std::string("  ") + property + " "), std::string::npos)
        << "treecastsrc has no property " << property;
  }
  EXPECT_NE(src_text.find("treecast"), std::string::npos);
  EXPECT_NE(src_text.find("URI handling capabilities"), std::string::npos)
      << "treecastsrc is no URI handler:\n"
      << src_text;

  auto sink = gst_tool(tree, "inspect-sink", {"gst-inspect-1.0", "treecastsink"});
  ASSERT_EQ(sink->wait_exit(30s), 0);
  const std::string sink_text = all_lines(*sink);
  for (const char* property : {"key", "public-host", "token-hours", "chunk-ms", "title",
                               "viewer-link", "relay-link", "max-children", "listen"}) {
    EXPECT_NE(sink_text.find(std::string("  ") + property + " "), std::string::npos)
        << "treecastsink has no property " << property;
  }
}

TEST(gst_plugin, gst_play_opens_a_treecast_link_and_decodes_the_broadcast) {
  local_tree tree("gst_play");
  auto broadcaster = tree.start_broadcaster();
  // The sinks end the stream after 60 frames and 100 audio buffers (2 s):
  // gst-play-1.0 then reaches the end of its play list and exits 0.
  auto play = gst_tool(
      tree, "gst-play",
      {"gst-play-1.0", "--no-interactive", "--videosink=fakesink num-buffers=60 sync=true",
       "--audiosink=fakesink num-buffers=100 sync=true", tree.link_to(broadcaster.port, true)});
  ASSERT_EQ(play->wait_exit(40s), 0) << "see " << tree.log_path("gst-play");
  const std::string out = all_lines(*play) + read_file(tree.log_path("gst-play"));
  EXPECT_NE(out.find("Reached end of play list"), std::string::npos) << out;
  EXPECT_EQ(out.find("ERROR"), std::string::npos) << out;
}

// A gst-launch-1.0 pipeline description, word by word.
std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    out.push_back(word);
  }
  return out;
}

struct frames_shown {
  long rendered = -1;
  long dropped = -1;
  double current_fps = 0;
};

// What fpsdisplaysink reported last (gst-launch-1.0 -v).
frames_shown latest_fps_report(const child_process& p) {
  frames_shown latest;
  for (const auto& line : p.lines()) {
    const auto at = line.find("rendered: ");
    if (at != std::string::npos) {
      std::sscanf(line.c_str() + at, "rendered: %ld, dropped: %ld, current: %lf", &latest.rendered,
                  &latest.dropped, &latest.current_fps);
    }
  }
  return latest;
}

TEST(gst_plugin, treecastsrc_plays_in_time_and_relays_to_a_viewer_below_it) {
  local_tree tree("gst_src");
  auto broadcaster = tree.start_broadcaster();
  std::vector<std::string> args = {"gst-launch-1.0",
                                   "-e",
                                   "-m",
                                   "-v",
                                   "treecastsrc",
                                   "link=" + tree.link_to(broadcaster.port, true)};
  for (const std::string& word :
       words("listen=127.0.0.1:0 max-children=2 ! decodebin name=d "
             "d. ! video/x-raw ! queue ! fpsdisplaysink video-sink=fakesink text-overlay=false "
             "sync=true d. ! audio/x-raw ! queue ! fakesink sync=true")) {
    args.push_back(word);
  }
  auto launch = gst_tool(tree, "gst-launch", std::move(args));
  const auto listening = launch->wait_for_line(
      [](const std::string& l) { return l.find("treecast-listening") != std::string::npos; }, 20s);
  ASSERT_TRUE(listening) << "see " << tree.log_path("gst-launch");
  const auto port_at = listening->find("port=(uint)");
  ASSERT_NE(port_at, std::string::npos) << *listening;
  const auto port = static_cast<std::uint16_t>(std::stoi(listening->substr(port_at + 11)));
  const auto attached = launch->wait_for_line(
      [](const std::string& l) {
        return l.find("treecast-status") != std::string::npos &&
               l.find("attached=(boolean)true") != std::string::npos;
      },
      20s);
  ASSERT_TRUE(attached) << "treecastsrc never attached; see " << tree.log_path("gst-launch");
  EXPECT_NE(attached->find("depth=(uint)1"), std::string::npos) << *attached;

  // The element is a full peer: a viewer joins below it.
  auto viewer = tree.start_viewer(port);
  const auto below = viewer.process->wait_for_line(
      [](const std::string& l) {
        if (l.rfind("status ", 0) != 0) {
          return false;
        }
        auto f = status_fields(l);
        return f["depth"] == "2" && std::stoll(f["frames"]) >= 30;
      },
      30s);
  ASSERT_TRUE(below) << "no viewer played below treecastsrc; see " << tree.log_path("viewer1");
  // At least 5 s of frames shown through the element's pipeline, nearly
  // none of them late.
  const auto shown = launch->wait_for_line(
      [](const std::string& l) {
        const auto at = l.find("rendered: ");
        return at != std::string::npos && std::atol(l.c_str() + at + 10) >= 150;
      },
      30s);
  ASSERT_TRUE(shown) << "see " << tree.log_path("gst-launch");
  launch->send_signal(SIGINT);  // -e: EOS first, then a clean stop
  EXPECT_EQ(launch->wait_exit(20s), 0);
  const frames_shown shown_frames = latest_fps_report(*launch);
  EXPECT_GE(shown_frames.rendered, 150);
  EXPECT_LE(shown_frames.dropped * 20, shown_frames.rendered)
      << "more than 5% of frames came too late to show";
  // The stream is 30 fps: played in real time, not slower.
  EXPECT_GE(shown_frames.current_fps, 25.0);
}

TEST(gst_plugin, treecastsink_broadcasts_a_pipeline_to_a_treecast_viewer) {
  local_tree tree("gst_sink");
  auto launch = gst_tool(tree, "gst-launch-sink",
                         {"gst-launch-1.0",
                          "-m",
                          "videotestsrc",
                          "is-live=true",
                          "!",
                          "video/x-raw,width=320,height=240,framerate=30/1",
                          "!",
                          "x264enc",
                          "tune=zerolatency",
                          "speed-preset=ultrafast",
                          "key-int-max=30",
                          "!",
                          "h264parse",
                          "!",
                          "mpegtsmux",
                          "name=mux",
                          "!",
                          "treecastsink",
                          "key=" + tree.key_path(),
                          "listen=127.0.0.1:0",
                          "audiotestsrc",
                          "is-live=true",
                          "!",
                          "opusenc",
                          "!",
                          "mux."});
  const auto links = launch->wait_for_line(
      [](const std::string& l) { return l.find("treecast-links") != std::string::npos; }, 20s);
  ASSERT_TRUE(links) << "treecastsink posted no links; see " << tree.log_path("gst-launch-sink");
  const std::string viewer_link = structure_string(*links, "viewer-link");
  ASSERT_EQ(viewer_link.rfind("treecast://127.0.0.1:", 0), 0u) << *links;
  ASSERT_NE(viewer_link.find("&key="), std::string::npos) << viewer_link;

  auto viewer = tree.start_viewer_by_link(viewer_link);
  const auto playing = viewer.process->wait_for_line(
      [](const std::string& l) {
        if (l.rfind("status ", 0) != 0) {
          return false;
        }
        auto f = status_fields(l);
        return f["depth"] == "1" && std::stoll(f["frames"]) >= 90 && std::stoll(f["audio"]) > 0;
      },
      30s);
  ASSERT_TRUE(playing) << "the viewer did not play the pipeline's stream; see "
                       << tree.log_path("viewer0");
  const auto fields = status_fields(*playing);
  EXPECT_EQ(fields.at("discontinuities"), "0");
  EXPECT_EQ(fields.at("missed"), "0");

  viewer.process->send_signal(SIGINT);
  EXPECT_EQ(viewer.process->wait_exit(10s), 0);
  launch->send_signal(SIGINT);  // gst-launch-1.0 sends EOS, then stops the sink
  EXPECT_EQ(launch->wait_exit(20s), 0);
}

// Runs gst-launch-1.0 with `pipeline` (labelled `label` in the logs): it
// must fail, and what it printed must say `says`.
void expect_failure_saying(const local_tree& tree, const std::string& label,
                           std::vector<std::string> pipeline, const std::string& says,
                           std::chrono::seconds deadline = 20s) {
  pipeline.insert(pipeline.begin(), "gst-launch-1.0");
  auto launch = gst_tool(tree, label, std::move(pipeline));
  const auto code = launch->wait_exit(deadline);
  ASSERT_TRUE(code) << label << " did not end";
  EXPECT_NE(*code, 0) << label;
  const std::string log = read_file(tree.log_path(label)) + all_lines(*launch);
  EXPECT_NE(log.find("ERROR: from element"), std::string::npos) << log;
  EXPECT_NE(log.find(says), std::string::npos) << log;
}

TEST(gst_plugin, a_bad_link_is_an_element_error_that_says_what_is_wrong) {
  local_tree tree("gst_bad_link");
  const std::string bad = "treecast://127.0.0.1:9/?stream=00&token=00";
  const std::string why = "the link's stream id is not a 64-digit hex public key";
  expect_failure_saying(tree, "gst-launch-bad", {"treecastsrc", "link=" + bad, "!", "fakesink"},
                        why);
  // Through playbin the URI handler refuses it before anything starts.
  expect_failure_saying(tree, "gst-launch-playbin-bad",
                        {"playbin", "uri=" + bad, "video-sink=fakesink", "audio-sink=fakesink"},
                        why);

  // A relay link (no content key) cannot be watched.
  auto broadcaster = tree.start_broadcaster();
  expect_failure_saying(tree, "gst-launch-relay-link",
                        {"treecastsrc", "link=" + tree.link_to(broadcaster.port), "!", "fakesink"},
                        "this link carries no content key");

  // A token the broadcaster did not sign: refused, and said so.
  std::string forged = tree.link_to(broadcaster.port, true);
  const auto token_at = forged.find("token=") + 6;
  forged.replace(token_at, forged.find('&', token_at) - token_at, "0102");
  expect_failure_saying(tree, "gst-launch-refused",
                        {"treecastsrc", "link=" + forged, "!", "fakesink"},
                        "the rendezvous refused: malformed invite token");

  // Nobody at the link's address: an element error once joining gives up.
  std::string nowhere = tree.link_to(broadcaster.port, true);
  nowhere.replace(nowhere.find(':', 11) + 1, std::to_string(broadcaster.port).size(), "9");
  expect_failure_saying(tree, "gst-launch-unreachable",
                        {"treecastsrc", "link=" + nowhere, "!", "fakesink"},
                        "rendezvous unreachable", 60s);
}

}  // namespace
}  // namespace treecast::testing
