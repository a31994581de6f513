// mpegtsmux output into the chunker: whether it starts a keyframe and when
// its content was captured. The treecastsink element pushes each buffer as it
// comes (push_muxer_buffer); the broadcast pipeline, whose appsink takes the
// muxer's writes whole, pushes each write (push_muxer_write).
#pragma once

#include <gst/gst.h>

#include "ts_chunker.hpp"
#include "ts_pes.hpp"

namespace treecast::media {

// `element`: any element of the pipeline (its clock and base time map the
// buffer's running time in `segment` to wall time); `segment` may be null
// (capture time = now).
void push_muxer_buffer(ts_chunker& chunker, GstElement* element, const GstSegment* segment,
                       GstBuffer* buffer);

// One write of the muxer (a sample of an appsink with buffer-list=true: the
// packets of one video frame or one sound buffer, with any tables), dated by
// its own PES timestamp through `clock` (the muxer's stamp is its PCR
// stream's), and a whole frame of the video stream its PES is of.
void push_muxer_write(ts_chunker& chunker, pes_wall_clock& clock, GstElement* element,
                      GstSample* sample);

}  // namespace treecast::media
