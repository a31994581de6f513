#include "treecast_sink.hpp"

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "broadcast_session.hpp"
#include "element_options.hpp"
#include "muxer_intake.hpp"
#include "peer_thread.hpp"
#include "runtime/console_log.hpp"
#include "runtime/periodic_timer.hpp"
#include "ts_chunker.hpp"

GST_DEBUG_CATEGORY_STATIC(treecast_sink_debug);
#define GST_CAT_DEFAULT treecast_sink_debug

namespace {

using namespace treecast;

enum sink_property : guint {
  prop_key = 1,
  prop_public_host,
  prop_token_hours,
  prop_chunk_ms,
  prop_viewer_link,
  prop_relay_link,
  prop_title,
};

runtime::peer_options sink_defaults() {
  runtime::peer_options defaults;
  defaults.listen = "0.0.0.0:7000";
  defaults.max_children = 3;
  return defaults;
}

// The running root (between start() and stop()).
struct running_root {
  plugin::peer_thread thread;
  std::unique_ptr<broadcaster::broadcast_session> session;
  std::unique_ptr<media::ts_chunker> chunker;  // streaming thread only
  std::unique_ptr<runtime::periodic_timer> status;
  std::chrono::milliseconds linger{};
};

}  // namespace

struct _TreecastSink {
  GstBaseSink parent;
  // Properties (object lock).
  runtime::peer_options* options;
  broadcaster::session_settings* settings;
  guint chunk_ms;
  std::string* viewer_link;
  std::string* relay_link;
  running_root* root;
};

G_DEFINE_TYPE(TreecastSink, treecast_sink, GST_TYPE_BASE_SINK);

static GstStaticPadTemplate sink_template =
    GST_STATIC_PAD_TEMPLATE("sink", GST_PAD_SINK, GST_PAD_ALWAYS,
                            GST_STATIC_CAPS("video/mpegts, systemstream=(boolean)true"));

namespace {

void post_status(TreecastSink* self, const core::node& node) {
  GstStructure* s = gst_structure_new(
      "treecast-status", "viewers", G_TYPE_UINT, static_cast<guint>(node.subtree_viewers()),
      "relays", G_TYPE_UINT, static_cast<guint>(node.subtree_relays()), "tree-depth", G_TYPE_UINT,
      static_cast<guint>(node.subtree_depth()), "children", G_TYPE_UINT,
      static_cast<guint>(node.child_count()), "chunks-sent", G_TYPE_UINT64,
      static_cast<guint64>(node.stats().get(core::counter::chunks_sent)), nullptr);
  plugin::post_element_message(GST_ELEMENT(self), s);
}

void post_links(TreecastSink* self, const std::string& viewer, const std::string& relay) {
  GstStructure* s =
      gst_structure_new("treecast-links", "viewer-link", G_TYPE_STRING, viewer.c_str(),
                        "relay-link", G_TYPE_STRING, relay.c_str(), nullptr);
  plugin::post_element_message(GST_ELEMENT(self), s);
}

}  // namespace

static gboolean treecast_sink_start(GstBaseSink* base) {
  TreecastSink* self = TREECAST_SINK(base);
  GST_OBJECT_LOCK(self);
  const runtime::peer_options options = *self->options;
  const broadcaster::session_settings settings = *self->settings;
  const guint chunk_ms = self->chunk_ms;
  GST_OBJECT_UNLOCK(self);
  core::node_config node;
  runtime::runtime_config runtime;
  core::log_level level;
  try {
    node.role = wire::peer_role::broadcaster;
    runtime::apply_peer_options(options, node, runtime);
    runtime::apply_site(options, node,
                        broadcaster::reached_at(settings.public_host, runtime.listen_host));
    level = runtime::parse_log_level(options.log_level);
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, SETTINGS, ("%s", e.what()), (nullptr));
    return FALSE;
  }
  auto root = std::make_unique<running_root>();
  root->linger = plugin::leave_grace(node);
  try {
    root->session = std::make_unique<broadcaster::broadcast_session>(
        root->thread.io(), node, runtime, settings, runtime::console_log("treecastsink", level));
    root->session->start();
  } catch (const std::exception& e) {
    GST_ELEMENT_ERROR(self, RESOURCE, OPEN_WRITE, ("cannot broadcast: %s", e.what()), (nullptr));
    return FALSE;
  }
  broadcaster::broadcast_session* session = root->session.get();
  media::ts_chunker::config cut;
  cut.target_duration = std::chrono::milliseconds(chunk_ms);
  root->chunker = std::make_unique<media::ts_chunker>(
      cut, [session](media::media_chunk&& chunk) { session->submit(chunk); });
  root->status = std::make_unique<runtime::periodic_timer>(
      root->thread.io(), std::chrono::seconds(1),
      [self, session] { post_status(self, session->root().engine()); });
  root->status->start();
  const std::string viewer = session->viewer_link();
  const std::string relay = session->relay_link();
  GST_OBJECT_LOCK(self);
  *self->viewer_link = viewer;
  *self->relay_link = relay;
  GST_OBJECT_UNLOCK(self);
  // Whoever runs the pipeline needs the links to invite anyone: on stderr,
  // like the broadcaster prints them, and as a message for applications.
  std::fprintf(stderr, "treecastsink: link: %s\ntreecastsink: relay-link: %s\n", viewer.c_str(),
               relay.c_str());
  post_links(self, viewer, relay);
  g_object_notify(G_OBJECT(self), "viewer-link");
  g_object_notify(G_OBJECT(self), "relay-link");
  root->thread.run();
  self->root = root.release();
  return TRUE;
}

static gboolean treecast_sink_stop(GstBaseSink* base) {
  TreecastSink* self = TREECAST_SINK(base);
  running_root* root = self->root;
  self->root = nullptr;
  if (root) {
    root->chunker->flush();
    root->thread.stop(
        [root] {
          root->status->cancel();
          root->session->stop();
        },
        root->linger);
    delete root;
  }
  return TRUE;
}

static GstFlowReturn treecast_sink_render(GstBaseSink* base, GstBuffer* buffer) {
  TreecastSink* self = TREECAST_SINK(base);
  media::push_muxer_buffer(*self->root->chunker, GST_ELEMENT(self), &base->segment, buffer);
  return GST_FLOW_OK;
}

static gboolean treecast_sink_event(GstBaseSink* base, GstEvent* event) {
  TreecastSink* self = TREECAST_SINK(base);
  if (GST_EVENT_TYPE(event) == GST_EVENT_EOS && self->root) {
    self->root->chunker->flush();  // the stream's last chunk goes out too
  }
  return GST_BASE_SINK_CLASS(treecast_sink_parent_class)->event(base, event);
}

static void treecast_sink_set_property(GObject* object, guint id, const GValue* value,
                                       GParamSpec* spec) {
  TreecastSink* self = TREECAST_SINK(object);
  GST_OBJECT_LOCK(self);
  bool known = true;
  switch (id) {
    case prop_key:
      self->settings->key_path = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case prop_public_host:
      self->settings->public_host = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    case prop_token_hours:
      self->settings->token_hours = g_value_get_double(value);
      break;
    case prop_chunk_ms:
      self->chunk_ms = g_value_get_uint(value);
      break;
    case prop_title:
      self->settings->title = g_value_get_string(value) ? g_value_get_string(value) : "";
      break;
    default:
      known = plugin::set_peer_property(*self->options, id, value);
  }
  GST_OBJECT_UNLOCK(self);
  if (!known) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

static void treecast_sink_get_property(GObject* object, guint id, GValue* value, GParamSpec* spec) {
  TreecastSink* self = TREECAST_SINK(object);
  GST_OBJECT_LOCK(self);
  bool known = true;
  switch (id) {
    case prop_key:
      g_value_set_string(value, self->settings->key_path.c_str());
      break;
    case prop_public_host:
      g_value_set_string(value, self->settings->public_host.c_str());
      break;
    case prop_token_hours:
      g_value_set_double(value, self->settings->token_hours);
      break;
    case prop_chunk_ms:
      g_value_set_uint(value, self->chunk_ms);
      break;
    case prop_title:
      g_value_set_string(value, self->settings->title.c_str());
      break;
    case prop_viewer_link:
      g_value_set_string(value, self->viewer_link->c_str());
      break;
    case prop_relay_link:
      g_value_set_string(value, self->relay_link->c_str());
      break;
    default:
      known = plugin::get_peer_property(*self->options, id, value);
  }
  GST_OBJECT_UNLOCK(self);
  if (!known) {
    G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, spec);
  }
}

static void treecast_sink_finalize(GObject* object) {
  TreecastSink* self = TREECAST_SINK(object);
  delete self->root;
  delete self->relay_link;
  delete self->viewer_link;
  delete self->settings;
  delete self->options;
  G_OBJECT_CLASS(treecast_sink_parent_class)->finalize(object);
}

static void treecast_sink_class_init(TreecastSinkClass* klass) {
  GObjectClass* object_class = G_OBJECT_CLASS(klass);
  GstElementClass* element_class = GST_ELEMENT_CLASS(klass);
  GstBaseSinkClass* base_class = GST_BASE_SINK_CLASS(klass);
  object_class->set_property = treecast_sink_set_property;
  object_class->get_property = treecast_sink_get_property;
  object_class->finalize = treecast_sink_finalize;
  const GParamFlags flags = plugin::settable_while_stopped;
  const auto read_only = static_cast<GParamFlags>(G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_property(
      object_class, prop_key,
      g_param_spec_string("key", "Stream key",
                          "the stream's Ed25519 private key (PEM), created on first use; the "
                          "stream id is its public key (--key)",
                          broadcaster::default_key_path().c_str(), flags));
  g_object_class_install_property(
      object_class, prop_public_host,
      g_param_spec_string("public-host", "Public host",
                          "host name put in the invite links (--public-host)", "", flags));
  g_object_class_install_property(
      object_class, prop_token_hours,
      g_param_spec_double("token-hours", "Token hours",
                          "how long the invite links admit new peers (--token-hours)", 0.01,
                          24.0 * 365, 24, flags));
  g_object_class_install_property(
      object_class, prop_chunk_ms,
      g_param_spec_uint("chunk-ms", "Chunk ms", "capture time per chunk, ms (--chunk-ms)", 20, 2000,
                        33, flags));
  g_object_class_install_property(
      object_class, prop_title,
      g_param_spec_string("title", "Title",
                          "the stream's title, carried in the links; viewers show it on their "
                          "window (--title)",
                          "", flags));
  g_object_class_install_property(
      object_class, prop_viewer_link,
      g_param_spec_string("viewer-link", "Viewer link",
                          "the invite link for viewers (carries the content key); set once "
                          "the sink has started",
                          "", read_only));
  g_object_class_install_property(
      object_class, prop_relay_link,
      g_param_spec_string("relay-link", "Relay link",
                          "the invite link for relays (no content key); set once the sink "
                          "has started",
                          "", read_only));
  plugin::install_peer_properties(object_class, sink_defaults());
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(
      element_class, "treecast sink", "Sink/Network",
      "Broadcasts MPEG-TS (mpegtsmux output) through a treecast peer-to-peer tree, as its root",
      "treecast");
  base_class->start = treecast_sink_start;
  base_class->stop = treecast_sink_stop;
  base_class->render = treecast_sink_render;
  base_class->event = treecast_sink_event;
  GST_DEBUG_CATEGORY_INIT(treecast_sink_debug, "treecastsink", 0, "treecast sink");
}

static void treecast_sink_init(TreecastSink* self) {
  self->options = new runtime::peer_options(sink_defaults());
  self->settings = new broadcaster::session_settings;
  self->chunk_ms = 33;
  self->viewer_link = new std::string;
  self->relay_link = new std::string;
  self->root = nullptr;
  // Chunks go out as the muxer makes them: a live encoder upstream paces
  // the stream, and waiting on the clock here would only add latency.
  gst_base_sink_set_sync(GST_BASE_SINK(self), FALSE);
}
