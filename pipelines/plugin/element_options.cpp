#include "element_options.hpp"

namespace treecast::plugin {

void post_element_message(GstElement* element, GstStructure* fields) {
  gst_element_post_message(element, gst_message_new_element(GST_OBJECT(element), fields));
}

void install_peer_properties(GObjectClass* klass, const runtime::peer_options& defaults) {
  const GParamFlags flags = settable_while_stopped;
  g_object_class_install_property(
      klass, prop_listen,
      g_param_spec_string("listen", "Listen", "HOST:PORT children connect to (--listen)",
                          defaults.listen.c_str(), flags));
  g_object_class_install_property(
      klass, prop_max_children,
      g_param_spec_uint("max-children", "Max children",
                        "peers this one forwards the stream to (--max-children)", 0, 64,
                        static_cast<guint>(defaults.max_children), flags));
  g_object_class_install_property(
      klass, prop_site,
      g_param_spec_string("site", "Site",
                          "office label; empty = inferred from the address, \"none\" = no site "
                          "(--site)",
                          defaults.site.c_str(), flags));
  g_object_class_install_property(
      klass, prop_log_level,
      g_param_spec_string("log-level", "Log level",
                          "debug | info | warn | error, on stderr (--log-level)",
                          defaults.log_level.c_str(), flags));
}

bool set_peer_property(runtime::peer_options& options, guint id, const GValue* value) {
  const auto text = [value] {
    const gchar* s = g_value_get_string(value);
    return std::string(s ? s : "");
  };
  switch (id) {
    case prop_listen:
      options.listen = text();
      return true;
    case prop_max_children:
      options.max_children = g_value_get_uint(value);
      return true;
    case prop_site:
      options.site = text();
      return true;
    case prop_log_level:
      options.log_level = text();
      return true;
    default:
      return false;
  }
}

bool get_peer_property(const runtime::peer_options& options, guint id, GValue* value) {
  switch (id) {
    case prop_listen:
      g_value_set_string(value, options.listen.c_str());
      return true;
    case prop_max_children:
      g_value_set_uint(value, static_cast<guint>(options.max_children));
      return true;
    case prop_site:
      g_value_set_string(value, options.site.c_str());
      return true;
    case prop_log_level:
      g_value_set_string(value, options.log_level.c_str());
      return true;
    default:
      return false;
  }
}

}  // namespace treecast::plugin
