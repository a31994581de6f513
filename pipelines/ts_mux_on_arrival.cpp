#include "ts_mux_on_arrival.hpp"

#include <gst/base/gstaggregator.h>
#include <gst/gst.h>

#include <mutex>
#include <stdexcept>

#include "gst_support.hpp"

namespace treecast::media {
namespace {

// Whether any sink pad holds a buffer. The first buffers go out when every
// pad has one (mpegtsmux sets its streams up from the caps of all pads then,
// and fails on a pad whose caps are not final yet): until the source pad has
// caps, nothing is due early.
bool buffer_waits(GstAggregator* aggregator) {
  if (!gst_pad_has_current_caps(aggregator->srcpad)) {
    return false;
  }
  bool waits = false;
  GST_OBJECT_LOCK(aggregator);
  for (GList* l = GST_ELEMENT_CAST(aggregator)->sinkpads; l && !waits; l = l->next) {
    waits = gst_aggregator_pad_has_buffer(GST_AGGREGATOR_PAD(l->data));
  }
  GST_OBJECT_UNLOCK(aggregator);
  return waits;
}

// The aggregator times out at this running time plus its latency. 0 is long
// past: a waiting buffer is written now (mpegtsmux takes the earliest of the
// pads that hold one). None: wait for a buffer.
GstClockTime next_time(GstAggregator* aggregator) {
  return buffer_waits(aggregator) ? 0 : GST_CLOCK_TIME_NONE;
}

void class_init(gpointer klass, gpointer) {
  GST_AGGREGATOR_CLASS(klass)->get_next_time = next_time;
}

GType register_type() {
  GstElementFactory* factory = gst_element_factory_find("mpegtsmux");
  if (!factory) {
    require_elements({"mpegtsmux"});  // throws, naming the package
  }
  auto* loaded = GST_ELEMENT_FACTORY(gst_plugin_feature_load(GST_PLUGIN_FEATURE(factory)));
  gst_object_unref(factory);
  if (!loaded) {
    throw std::runtime_error("mpegtsmux could not be loaded");
  }
  const GType parent = gst_element_factory_get_element_type(loaded);
  gst_object_unref(loaded);
  GTypeQuery query;
  g_type_query(parent, &query);
  GTypeInfo info{};
  info.class_size = static_cast<guint16>(query.class_size);
  info.class_init = class_init;
  info.instance_size = static_cast<guint16>(query.instance_size);
  return g_type_register_static(parent, "TreecastTsMuxOnArrival", &info, GTypeFlags(0));
}

}  // namespace

void register_ts_mux_on_arrival() {
  static std::once_flag once;
  std::call_once(once, [] {
    ensure_gst_initialized();
    if (!gst_element_register(nullptr, ts_mux_on_arrival_factory, GST_RANK_NONE, register_type())) {
      throw std::runtime_error(std::string("could not register ") + ts_mux_on_arrival_factory);
    }
  });
}

}  // namespace treecast::media
