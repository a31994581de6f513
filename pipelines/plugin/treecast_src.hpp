// treecastsrc: a viewer peer as a GStreamer live source. It joins the tree
// the link (property `link`, or a treecast:// URI through playbin) invites
// to, relays the stream to children of its own, and outputs the broadcast's
// MPEG-TS in order, timestamped on arrival, with `latency` reported so that
// sinks hold frames long enough to play through the chunks' bursts.
#pragma once

#include <gst/base/gstpushsrc.h>

G_BEGIN_DECLS

#define TREECAST_TYPE_SRC (treecast_src_get_type())
G_DECLARE_FINAL_TYPE(TreecastSrc, treecast_src, TREECAST, SRC, GstPushSrc)

G_END_DECLS
