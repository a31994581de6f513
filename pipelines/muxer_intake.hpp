// One mpegtsmux output buffer into the chunker: whether it starts a keyframe
// and when its content was captured, read off the buffer. The broadcast
// pipeline's appsink and the treecastsink element both cut chunks this way.
#pragma once

#include <gst/gst.h>

#include "ts_chunker.hpp"

namespace treecast::media {

// `element`: any element of the pipeline (its clock and base time map the
// buffer's running time in `segment` to wall time); `segment` may be null
// (capture time = now).
void push_muxer_buffer(ts_chunker& chunker, GstElement* element, const GstSegment* segment,
                       GstBuffer* buffer);

}  // namespace treecast::media
