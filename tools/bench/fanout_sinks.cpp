#include "fanout_sinks.hpp"

#include <gst/gst.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/program_options.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <vector>

#include "runtime/node_runtime.hpp"
#include "runtime/peer_options.hpp"
#include "runtime/periodic_timer.hpp"

namespace treecast::bench {
namespace {

void print_received(unsigned long long bytes, int attached) {
  std::printf("received bytes=%llu attached=%d\n", bytes, attached);
  std::fflush(stdout);
}

}  // namespace

int run_treecast_sinks(const std::string& link, int count) {
  boost::asio::io_context io;
  std::vector<std::unique_ptr<runtime::node_runtime>> sinks;
  unsigned long long bytes = 0;
  for (int i = 0; i < count; ++i) {
    // The same flags a relay would be given: leaves with no slots, quiet.
    std::vector<std::string> words = {"treecast-bench", link, "--listen",    "127.0.0.1:0",
                                      "--max-children", "0",  "--log-level", "error"};
    std::vector<char*> argv;
    for (auto& w : words) {
      argv.push_back(w.data());
    }
    boost::program_options::options_description description("sink");
    const auto config =
        runtime::parse_joining_peer(static_cast<int>(argv.size()), argv.data(), description,
                                    runtime::peer_options{}, wire::peer_role::relay, "sink");
    auto sink = std::make_unique<runtime::node_runtime>(
        io, config->node, config->runtime,
        [](core::log_level, core::time_point, std::string_view) {});
    sink->set_delivery_handler(
        [&bytes](const core::shared_chunk& c) { bytes += c->frame ? c->frame->size() : 0; });
    sink->start();
    sinks.push_back(std::move(sink));
  }
  std::printf("listening on sinks\n");
  runtime::periodic_timer status(io, std::chrono::seconds(1), [&] {
    int attached = 0;
    for (const auto& s : sinks) {
      attached += s->engine().attached() ? 1 : 0;
    }
    print_received(bytes, attached);
  });
  status.start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) {
    status.cancel();
    for (auto& s : sinks) {
      s->stop();
    }
  });
  io.run();
  return 0;
}

namespace {

std::atomic<unsigned long long> gst_bytes{0};

GstPadProbeReturn count_bytes(GstPad*, GstPadProbeInfo* info, gpointer attached_flag) {
  if (GstBuffer* buffer = GST_PAD_PROBE_INFO_BUFFER(info)) {
    gst_bytes += gst_buffer_get_size(buffer);
    static_cast<std::atomic<bool>*>(attached_flag)->store(true);
  }
  return GST_PAD_PROBE_OK;
}

}  // namespace

int run_gst_sinks(const std::string& source, int count) {
  gst_init(nullptr, nullptr);
  std::string description;
  for (int i = 0; i < count; ++i) {
    description +=
        source + " ! fakesink name=sink" + std::to_string(i) + " sync=false async=false ";
  }
  GError* error = nullptr;
  GstElement* pipeline = gst_parse_launch(description.c_str(), &error);
  if (!pipeline || error) {
    std::fprintf(stderr, "gst-sinks: %s\n", error ? error->message : "cannot build the pipeline");
    return 1;
  }
  std::vector<std::atomic<bool>> attached(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    GstElement* sink = gst_bin_get_by_name(GST_BIN(pipeline), ("sink" + std::to_string(i)).c_str());
    GstPad* pad = gst_element_get_static_pad(sink, "sink");
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, count_bytes, &attached[i], nullptr);
    gst_object_unref(pad);
    gst_object_unref(sink);
  }
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  std::printf("listening on sinks\n");
  std::fflush(stdout);
  boost::asio::io_context io;
  runtime::periodic_timer status(io, std::chrono::seconds(1), [&] {
    int n = 0;
    for (const auto& a : attached) {
      n += a ? 1 : 0;
    }
    print_received(gst_bytes, n);
  });
  status.start();
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { status.cancel(); });
  io.run();
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return 0;
}

}  // namespace treecast::bench
