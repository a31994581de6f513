#!/usr/bin/env bash
# Installs every Debian package that treecast's build, programs and tests need.
# Idempotent: does nothing (not even `apt-get update`) when all is present.
# Must run as root on Debian bookworm (or newer).
set -euo pipefail

packages=(
  # build
  cmake g++ pkg-config ccache clang-format
  libboost-dev libboost-program-options-dev nlohmann-json3-dev
  protobuf-compiler libprotobuf-dev libssl-dev
  libgtest-dev libgmock-dev
  # media
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-x
  # gst-play-1.0: treecast:// links opened by GStreamer's own player;
  # glimagesink: the viewer's scaling window where XVideo is missing
  gstreamer1.0-plugins-base-apps gstreamer1.0-gl
  # the viewer's own X11 window (keys, full screen); the broadcaster's link
  # as a QR code on its terminal
  libx11-dev libqrencode-dev
  # the browser gateway (--serve-browsers): webrtcbin's headers and its ICE
  # agent (libnice's GStreamer elements)
  libgstreamer-plugins-bad1.0-dev gstreamer1.0-nice
  # tests (clang: the libFuzzer build, tools/fuzz.sh)
  xvfb xauth x11-utils imagemagick procps clang libclang-rt-14-dev
  # keys and window resizing sent to the viewer's window under Xvfb; the QR
  # code read back; the desktop entry checked and asked for as the
  # treecast:// handler
  xdotool zbar-tools desktop-file-utils xdg-utils
  # prlimit: the descriptor-exhaustion test runs a relay with few open files
  util-linux
  # the dashboard page test (headless, driven over the DevTools protocol)
  chromium
  # treecast-bench fanout baselines (GStreamer's tcp/srt elements come with
  # plugins-base/-bad above)
  nginx-light libnginx-mod-rtmp
  # treecast-lab --netns (namespaces, veth, tbf; offloads off for its bridge)
  iproute2 ethtool nftables
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages: ${missing[*]}" >&2
  echo "setup: run as root to install them" >&2
  exit 1
fi

echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
