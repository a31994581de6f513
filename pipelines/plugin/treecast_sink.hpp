// treecastsink: a pipeline's MPEG-TS (mpegtsmux output) broadcast through a
// treecast tree. The element is the tree's root: it holds the stream key,
// cuts chunks (a keyframe starts one), encrypts and signs each once, and
// serves seed relays and viewers; the invite links are read-only properties
// and an element message.
#pragma once

#include <gst/base/gstbasesink.h>

G_BEGIN_DECLS

#define TREECAST_TYPE_SINK (treecast_sink_get_type())
G_DECLARE_FINAL_TYPE(TreecastSink, treecast_sink, TREECAST, SINK, GstBaseSink)

G_END_DECLS
