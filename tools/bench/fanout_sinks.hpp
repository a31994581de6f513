// The children of the fan-out benchmark, many in one process so that 100 of
// them do not cost 100 programs: they receive and discard the stream, and
// print "received bytes=B attached=K" every second until SIGINT/SIGTERM.
#pragma once

#include <string>

namespace treecast::bench {

// `count` treecast peers (leaf relays: no slots of their own) joining `link`
// on one io_context; bytes = chunk frames delivered.
int run_treecast_sinks(const std::string& link, int count);

// One GStreamer pipeline of `count` branches "`source` ! fakesink"; bytes =
// buffers reaching the fakesinks; attached = branches that received any.
int run_gst_sinks(const std::string& source, int count);

}  // namespace treecast::bench
