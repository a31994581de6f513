// libgsttreecast: treecast's elements for GStreamer.
//   treecastsrc  - watch a broadcast (and open treecast:// URIs)
//   treecastsink - broadcast a pipeline's MPEG-TS
#include <gst/gst.h>

#include "treecast_sink.hpp"
#include "treecast_src.hpp"

#ifndef PACKAGE
#define PACKAGE "treecast"
#endif

static gboolean plugin_init(GstPlugin* plugin) {
  return gst_element_register(plugin, "treecastsrc", GST_RANK_NONE, TREECAST_TYPE_SRC) &&
         gst_element_register(plugin, "treecastsink", GST_RANK_NONE, TREECAST_TYPE_SINK);
}

// No license is declared for the project yet: "unknown" is GStreamer's word
// for that.
GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, treecast,
                  "treecast: peer-to-peer live broadcast trees", plugin_init, TREECAST_VERSION,
                  "unknown", "treecast", "https://example.invalid/treecast")
