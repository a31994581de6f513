// The properties every treecast element shares with the programs' flags
// (listen address, children, site, log level), and where they go.
#pragma once

#include <gst/gst.h>

#include "runtime/peer_options.hpp"

namespace treecast::plugin {

enum shared_property : guint {
  prop_listen = 100,
  prop_max_children,
  prop_site,
  prop_log_level,
};

// The flags of a property that configures the peer: read and set, but only
// while the element is stopped (NULL or READY).
inline constexpr GParamFlags settable_while_stopped =
    static_cast<GParamFlags>(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);

// Posts `fields` as an element message of `element` (status, links):
// applications read them on the bus, gst-launch-1.0 -m prints them.
void post_element_message(GstElement* element, GstStructure* fields);

// Installs the shared properties on `klass` with the defaults in `defaults`.
void install_peer_properties(GObjectClass* klass, const runtime::peer_options& defaults);

// True when `id` was one of them (and was set or read).
bool set_peer_property(runtime::peer_options& options, guint id, const GValue* value);
bool get_peer_property(const runtime::peer_options& options, guint id, GValue* value);

}  // namespace treecast::plugin
