#include "treecast_src.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "element_options.hpp"
#include "gst_support.hpp"
#include "jitter_target.hpp"
#include "peer_thread.hpp"
#include "runtime/console_log.hpp"
#include "runtime/periodic_timer.hpp"
#include "stream_receiver.hpp"

GST_DEBUG_CATEGORY_STATIC(treecast_src_debug);
#define GST_CAT_DEFAULT treecast_src_debug

namespace {

using namespace treecast;

// TS bytes waiting for create(); above this much the oldest are dropped
// (downstream stopped pulling) and the next buffer is marked DISCONT.
constexpr std::size_t max_queued_bytes = 16 * 1024 * 1024;

enum src_property : guint { prop_link = 1, prop_latency };

runtime::peer_options src_defaults() {
  runtime::peer_options defaults;
  defaults.max_children = 2;
  defaults.log_level = "warn";
  return defaults;
}

// What the peer's thread hands to the streaming thread.
struct handoff {
  std::mutex mutex;
  std::condition_variable changed;
  std::deque<std::shared_ptr<const std::string>> queue;
  std::size_t queued_bytes = 0;
  bool dropped = false;  // bytes were dropped: the next buffer is DISCONT
  bool flushing = false;
  std::optional<std::string> failure;
};

// The running peer (between start() and stop()).
struct running_peer {
  plugin::peer_thread thread;
  std::unique_ptr<viewer::stream_receiver> receiver;
  std::unique_ptr<runtime::periodic_timer> status;
  std::chrono::milliseconds linger{};
};

}  // namespace

struct _TreecastSrc {
  GstPushSrc parent;
  // Properties (object lock).
  std::string* link;
  guint latency_ms;
  runtime::peer_options* options;
  handoff* pending;
  running_peer* peer;
};

static void treecast_src_uri_handler_init(gpointer iface, gpointer data);

G_DEFINE_TYPE_WITH_CODE(TreecastSrc, treecast_src, GST_TYPE_PUSH_SRC,
                        G_IMPLEMENT_INTERFACE(GST_TYPE_URI_HANDLER, treecast_src_uri_handler_init));

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("video/mpegts, systemstream=(boolean)true, "
                                            "packetsize=(int)188"));

namespace {

// Checks a link the way the viewer does; nullopt when it is usable.
std::optional<std::string> link_problem(const std::string& link) {
  try {
    runtime::make_joining_peer(link, runtime::peer_options{}, wire::peer_role::viewer);
    viewer::content_key_of(link);
    return std::nullopt;
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
}

void post_status(TreecastSrc* self, const core::node& node) {
  GstStructure* s = gst_structure_new(
      "treecast-status", "attached", G_TYPE_BOOLEAN, node.attached(), "depth", G_TYPE_UINT,
      static_cast<guint>(node.attached() ? node.depth() : 0), "children", G_TYPE_UINT,
      static_cast<guint>(node.child_count()), "chunks", G_TYPE_UINT64,
      static_cast<guint64>(node.stats().get(core::counter::chunks_received)), "missed",
      G_TYPE_UINT64, static_cast<guint64>(node.stats().get(core::counter::chunks_missed)),
      "repairs", G_TYPE_UINT64, static_cast<guint64>(node.stats().get(core::counter::repairs)),
      nullptr);
  plugin::post_element_message(GST_ELEMENT(self), s);
}

// Once the listener is bound: where children connect (listen=HOST:0 picks
// a free port).
void post_listening(TreecastSrc* self, std::uint16_t port) {
  GstStructure* s = gst_structure_new("treecast-listening", "port", G_TYPE_UINT,
                                      static_cast<guint>(port), nullptr);
  plugin::post_element_message(GST_ELEMENT(self), s);
}

}  // namespace

static gboolean treecast_src_start(GstBaseSrc* base) {
  TreecastSrc* self = TREECAST_SRC(base);
  GST_OBJECT_LOCK(self);
  const std::string link = *self->link;
  const runtime::peer_options options = *self->options;
  GST_OBJECT_UNLOCK(self);
  runtime::joining_peer_config config;
  try {
    if (link.empty()) {
      throw std::invalid_argument("no link: set the link property or open a treecast:// URI");
    }
    config = runtime::make_joining_peer(link, options, wire::peer_role::viewer);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", e.what()), ("link: %s", link.c_str()));
    return FALSE;
  }
  handoff* pending = self->pending;
  {
    const std::lock_guard lock(pending->mutex);
    pending->queue.clear();
    pending->queued_bytes = 0;
    pending->failure.reset();
    pending->dropped = false;
  }
  auto peer = std::make_unique<running_peer>();
  peer->linger = plugin::leave_grace(config.node);
  try {
    peer->receiver = std::make_unique<viewer::stream_receiver>(
        peer->thread.io(), config, runtime::console_log("treecastsrc", config.level),
        viewer::stream_receiver::handlers{
            .play =
                [pending](std::shared_ptr<const std::string> ts, std::uint64_t) {
                  const std::lock_guard lock(pending->mutex);
                  pending->queued_bytes += ts->size();
                  pending->queue.push_back(std::move(ts));
                  while (pending->queued_bytes > max_queued_bytes) {
                    pending->queued_bytes -= pending->queue.front()->size();
                    pending->queue.pop_front();
                    pending->dropped = true;
                  }
                  pending->changed.notify_all();
                },
            .fail =
                [pending](const std::string& why) {
                  const std::lock_guard lock(pending->mutex);
                  pending->failure = why;
                  pending->changed.notify_all();
                },
            .notice =
                [self](const std::string& what) {
                  GST_ELEMENT_WARNING(self, STREAM, DECODE, ("%s", what.c_str()), (nullptr));
                },
            .rendition = {},
            .expect_lateness = {}});
    peer->receiver->start();
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_READ, ("cannot join: %s", e.what()),
                      ("link: %s", link.c_str()));
    return FALSE;
  }
  post_listening(self, peer->receiver->peer().listen_port());
  viewer::stream_receiver* receiver = peer->receiver.get();
  peer->status = std::make_unique<runtime::periodic_timer>(
      peer->thread.io(), std::chrono::seconds(1),
      [self, receiver] { post_status(self, receiver->peer().engine()); });
  peer->status->start();
  peer->thread.run();
  self->peer = peer.release();
  return TRUE;
}

static gboolean treecast_src_stop(GstBaseSrc* base) {
  TreecastSrc* self = TREECAST_SRC(base);
  running_peer* peer = self->peer;
  self->peer = nullptr;
  if (peer) {
    peer->thread.stop(
        [peer] {
          peer->status->cancel();
          peer->receiver->stop();
        },
        peer->linger);
    delete peer;
  }
  return TRUE;
}

static GstFlowReturn treecast_src_create(GstPushSrc* push, GstBuffer** out) {
  TreecastSrc* self = TREECAST_SRC(push);
  handoff* pending = self->pending;
  std::unique_lock lock(pending->mutex);
  pending->changed.wait(
      lock, [pending] { return pending->flushing || pending->failure || !pending->queue.empty(); });
  if (pending->flushing) {
    return GST_FLOW_FLUSHING;
  }
  if (pending->failure) {
    const std::string why = *pending->failure;
    lock.unlock();
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("%s", why.c_str()), (nullptr));
    return GST_FLOW_ERROR;
  }
  auto ts = std::move(pending->queue.front());
  pending->queue.pop_front();
  pending->queued_bytes -= ts->size();
  const bool discont = pending->dropped;
  pending->dropped = false;
  lock.unlock();
  GstBuffer* buffer = media::buffer_over(ts->data(), ts->size(), ts);
  if (discont) {
    GST_BUFFER_FLAG_SET(buffer, GST_BUFFER_FLAG_DISCONT);
  }
  *out = buffer;
  return GST_FLOW_OK;
}

static gboolean treecast_src_unlock(GstBaseSrc* base) {
  handoff* pending = TREECAST_SRC(base)->pending;
  const std::lock_guard lock(pending->mutex);
  pending->flushing = true;
  pending->changed.notify_all();
  return TRUE;
}

static gboolean treecast_src_unlock_stop(GstBaseSrc* base) {
  handoff* pending = TREECAST_SRC(base)->pending;
  const std::lock_guard lock(pending->mutex);
  pending->flushing = false;
  return TRUE;
}

static gboolean treecast_src_query(GstBaseSrc* base, GstQuery* query) {
  if (GST_QUERY_TYPE(query) == GST_QUERY_LATENCY) {
    TreecastSrc* self = TREECAST_SRC(base);
    GST_OBJECT_LOCK(self);
    const GstClockTime latency = self->latency_ms * GST_MSECOND;
    GST_OBJECT_UNLOCK(self);
    // Chunks arrive stamped on arrival, with the jitter of the tree's
    // paths: sinks must hold frames this long to play through it.
    gst_query_set_latency(query, TRUE, latency, GST_CLOCK_TIME_NONE);
    return TRUE;
  }
  return GST_BASE_SRC_CLASS(treecast_src_parent_class)->query(base, query);
}

static gboolean set_link(TreecastSrc* self, const gchar* link, GError** error) {
  const std::string text = link ? link : "";
  if (!text.empty()) {
    if (const auto problem = link_problem(text)) {
      g_set_error(error, GST_URI_ERROR, GST_URI_ERROR_BAD_URI, "%s", problem->c_str());
      return FALSE;
    }
  }
  GST_OBJECT_LOCK(self);
  *self->link = text;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static void treecast_src_set_property(GObject* object, guint id, const GValue* value,
                                      GParamSpec* spec) {
  TreecastSrc* self = TREECAST_SRC(object);
  switch (id) {
    case prop_link: {
      GError* error = nullptr;
      if (!set_link(self, g_value_get_string(value), &error)) {
        // Kept anyway, so that start() reports it as an element error.
        GST_WARNING_OBJECT(self, "bad link: %s", error->message);
        g_clear_error(&error);
        GST_OBJECT_LOCK(self);
        *self->link = g_value_get_string(value);
        GST_OBJECT_UNLOCK(self);
      }
      return;
    }
    case prop_latency:
      GST_OBJECT_LOCK(self);
      self->latency_ms = g_value_get_uint(value);
      GST_OBJECT_UNLOCK(self);
      return;
    default:
      break;
  }
  GST_OBJECT_LOCK(self);
  const bool known = plugin::set_peer_property(*self->options, id, value);
  GST_OBJECT_UNLOCK(self);
  if (!known) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

static void treecast_src_get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  TreecastSrc* self = TREECAST_SRC(object);
  GST_OBJECT_LOCK(self);
  bool known = true;
  switch (id) {
    case prop_link:
      g_value_set_string(value, self->link->c_str());
      break;
    case prop_latency:
      g_value_set_uint(value, self->latency_ms);
      break;
    default:
      known = plugin::get_peer_property(*self->options, id, value);
  }
  GST_OBJECT_UNLOCK(self);
  if (!known) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

static void treecast_src_finalize(GObject* object) {
  TreecastSrc* self = TREECAST_SRC(object);
  delete self->peer;
  delete self->pending;
  delete self->options;
  delete self->link;
  G_OBJECT_CLASS(treecast_src_parent_class)->finalize(object);
}

static void treecast_src_class_init(TreecastSrcClass* klass) {
  GObjectClass* object_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSrcClass* base_class = GST_BASE_SRC_CLASS(klass);
  GstPushSrcClass* push_class = GST_PUSH_SRC_CLASS(klass);
  object_class->set_property = treecast_src_set_property;
  object_class->get_property = treecast_src_get_property;
  object_class->finalize = treecast_src_finalize;
  const GParamFlags flags = plugin::settable_while_stopped;
  g_object_class_install_property(
      object_class, prop_link,
      g_param_spec_string("link", "Link",
                          "the viewer invite link the broadcaster printed "
                          "(treecast://HOST:PORT/?stream=...&token=...&key=...)",
                          "", flags));
  g_object_class_install_property(
      object_class, prop_latency,
      g_param_spec_uint("latency", "Latency",
                        "ms sinks hold each frame after it arrives (the jitter buffer)", 50, 10000,
                        static_cast<guint>(media::default_latency.count()), flags));
  plugin::install_peer_properties(object_class, src_defaults());
  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "treecast source", "Source/Network",
      "Watches a treecast broadcast: joins the peer-to-peer tree, relays to children, outputs "
      "the stream's MPEG-TS",
      "treecast");
  base_class->start = treecast_src_start;
  base_class->stop = treecast_src_stop;
  base_class->unlock = treecast_src_unlock;
  base_class->unlock_stop = treecast_src_unlock_stop;
  base_class->query = treecast_src_query;
  push_class->create = treecast_src_create;
  GST_DEBUG_CATEGORY_INIT(treecast_src_debug, "treecastsrc", 0, "treecast source");
}

static void treecast_src_init(TreecastSrc* self) {
  self->link = new std::string;
  self->latency_ms = static_cast<guint>(media::default_latency.count());
  self->options = new runtime::peer_options(src_defaults());
  self->pending = new handoff;
  self->peer = nullptr;
  gst_base_src_set_live(GST_BASE_SRC(self), TRUE);
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
  gst_base_src_set_do_timestamp(GST_BASE_SRC(self), TRUE);
}

// treecast:// URIs: playbin, uridecodebin and gst-play-1.0 open links.
static GstURIType treecast_src_uri_get_type(GType) {
  return GST_URI_SRC;
}

static const gchar* const* treecast_src_uri_get_protocols(GType) {
  static const gchar* const protocols[] = {"treecast", nullptr};
  return protocols;
}

static gchar* treecast_src_uri_get_uri(GstURIHandler* handler) {
  TreecastSrc* self = TREECAST_SRC(handler);
  GST_OBJECT_LOCK(self);
  gchar* uri = self->link->empty() ? nullptr : g_strdup(self->link->c_str());
  GST_OBJECT_UNLOCK(self);
  return uri;
}

static gboolean treecast_src_uri_set_uri(GstURIHandler* handler, const gchar* uri, GError** error) {
  return set_link(TREECAST_SRC(handler), uri, error);
}

static void treecast_src_uri_handler_init(gpointer iface, gpointer) {
  auto* uri = static_cast<GstURIHandlerInterface*>(iface);
  uri->get_type = treecast_src_uri_get_type;
  uri->get_protocols = treecast_src_uri_get_protocols;
  uri->get_uri = treecast_src_uri_get_uri;
  uri->set_uri = treecast_src_uri_set_uri;
}
