#!/usr/bin/env bash
# Puts the build's GStreamer plugin (libgsttreecast: treecastsrc,
# treecastsink) on GStreamer's plugin path.
#
#   source tools/gst-env.sh                 # this shell: gst-inspect-1.0 treecast
#   tools/gst-env.sh gst-play-1.0 'LINK'    # one command
#
# After `cmake --install build` the plugin sits in GStreamer's own plugin
# directory and none of this is needed.
plugin_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/pipelines/plugin"
if [ ! -e "$plugin_dir/libgsttreecast.so" ]; then
  echo "gst-env: $plugin_dir/libgsttreecast.so is not built yet: run tools/build.sh" >&2
fi
export GST_PLUGIN_PATH="$plugin_dir${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
if [ "${BASH_SOURCE[0]}" = "$0" ] && [ $# -gt 0 ]; then
  exec "$@"
fi
