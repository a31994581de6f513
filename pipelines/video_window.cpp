#include "video_window.hpp"

#include <X11/Xatom.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <poll.h>
#include <unistd.h>

#include <stdexcept>

namespace treecast::media {

namespace {

constexpr Time double_click_ms = 400;

// Commands written to the wake pipe.
constexpr char command_quit = 'q';
constexpr char command_fullscreen = 'f';
constexpr char command_resize = 'r';

}  // namespace

struct video_window::x_state {
  Display* display = nullptr;
  Window window = 0;
  Atom delete_window = 0;
  Atom wm_state = 0;
  Atom wm_state_fullscreen = 0;
  // Full screen without a window manager: the window is moved over the
  // whole screen, and put back where it was after.
  bool window_manager = false;
  int saved_x = 0, saved_y = 0, saved_width = 0, saved_height = 0;
  int width = 0, height = 0;
  Time last_click = 0;
};

namespace {

// True when an EWMH window manager runs (it then does full screen itself).
bool has_window_manager(Display* display) {
  const Atom check = XInternAtom(display, "_NET_SUPPORTING_WM_CHECK", True);
  if (check == None) {
    return false;
  }
  Atom type = None;
  int format = 0;
  unsigned long items = 0, after = 0;
  unsigned char* data = nullptr;
  const int status = XGetWindowProperty(display, DefaultRootWindow(display), check, 0, 1, False,
                                        XA_WINDOW, &type, &format, &items, &after, &data);
  const bool present = status == Success && type == XA_WINDOW && items == 1;
  if (data) {
    XFree(data);
  }
  return present;
}

}  // namespace

video_window::video_window(const std::string& title, int width, int height, events on)
    : x_(std::make_unique<x_state>()), on_(std::move(on)) {
  x_->display = XOpenDisplay(nullptr);
  if (!x_->display) {
    throw std::runtime_error("cannot open the X display for the video window");
  }
  Display* d = x_->display;
  const int screen = DefaultScreen(d);
  x_->window = XCreateSimpleWindow(d, RootWindow(d, screen), 0, 0, static_cast<unsigned>(width),
                                   static_cast<unsigned>(height), 0, BlackPixel(d, screen),
                                   BlackPixel(d, screen));
  x_->width = width;
  x_->height = height;
  window_ = x_->window;
  XStoreName(d, x_->window, title.c_str());
  // _NET_WM_NAME for UTF-8 titles.
  XChangeProperty(d, x_->window, XInternAtom(d, "_NET_WM_NAME", False),
                  XInternAtom(d, "UTF8_STRING", False), 8, PropModeReplace,
                  reinterpret_cast<const unsigned char*>(title.data()),
                  static_cast<int>(title.size()));
  XClassHint hint{const_cast<char*>("treecast-viewer"), const_cast<char*>("treecast")};
  XSetClassHint(d, x_->window, &hint);
  x_->delete_window = XInternAtom(d, "WM_DELETE_WINDOW", False);
  XSetWMProtocols(d, x_->window, &x_->delete_window, 1);
  x_->wm_state = XInternAtom(d, "_NET_WM_STATE", False);
  x_->wm_state_fullscreen = XInternAtom(d, "_NET_WM_STATE_FULLSCREEN", False);
  x_->window_manager = has_window_manager(d);
  XSelectInput(d, x_->window, KeyPressMask | ButtonPressMask | StructureNotifyMask | ExposureMask);
  XMapRaised(d, x_->window);
  XFlush(d);
  if (pipe(wake_pipe_) != 0) {
    XDestroyWindow(d, x_->window);
    XCloseDisplay(d);
    throw std::runtime_error("cannot make the video window's wake pipe");
  }
}

void video_window::start() {
  thread_ = std::thread([this] { run(); });
}

video_window::~video_window() {
  request(command_quit);
  if (thread_.joinable()) {
    thread_.join();
  }
  close(wake_pipe_[0]);
  close(wake_pipe_[1]);
  XDestroyWindow(x_->display, x_->window);
  XCloseDisplay(x_->display);
}

void video_window::request(char command) {
  // A full pipe means the thread has commands enough to wake for.
  [[maybe_unused]] const auto written = write(wake_pipe_[1], &command, 1);
}

void video_window::toggle_fullscreen() {
  request(command_fullscreen);
}

void video_window::resize(int width, int height) {
  wanted_width_.store(width);
  wanted_height_.store(height);
  request(command_resize);
}

void video_window::run() {
  Display* d = x_->display;
  const auto set_fullscreen = [this, d](bool on) {
    fullscreen_.store(on);
    if (x_->window_manager) {
      XEvent e{};
      e.xclient.type = ClientMessage;
      e.xclient.window = x_->window;
      e.xclient.message_type = x_->wm_state;
      e.xclient.format = 32;
      e.xclient.data.l[0] = on ? 1 : 0;  // _NET_WM_STATE_ADD / _REMOVE
      e.xclient.data.l[1] = static_cast<long>(x_->wm_state_fullscreen);
      e.xclient.data.l[3] = 1;  // a normal application
      XSendEvent(d, DefaultRootWindow(d), False, SubstructureRedirectMask | SubstructureNotifyMask,
                 &e);
    } else if (on) {
      Window child = 0;
      XTranslateCoordinates(d, x_->window, DefaultRootWindow(d), 0, 0, &x_->saved_x, &x_->saved_y,
                            &child);
      x_->saved_width = x_->width;
      x_->saved_height = x_->height;
      const int screen = DefaultScreen(d);
      XMoveResizeWindow(d, x_->window, 0, 0, static_cast<unsigned>(DisplayWidth(d, screen)),
                        static_cast<unsigned>(DisplayHeight(d, screen)));
      XRaiseWindow(d, x_->window);
    } else {
      XMoveResizeWindow(d, x_->window, x_->saved_x, x_->saved_y,
                        static_cast<unsigned>(x_->saved_width),
                        static_cast<unsigned>(x_->saved_height));
    }
    XFlush(d);
  };
  pollfd fds[2] = {{ConnectionNumber(d), POLLIN, 0}, {wake_pipe_[0], POLLIN, 0}};
  for (;;) {
    while (XPending(d) > 0) {
      XEvent e;
      XNextEvent(d, &e);
      switch (e.type) {
        case KeyPress: {
          // With the modifiers applied: shift+= is "plus".
          KeySym sym = NoSymbol;
          char text[8];
          XLookupString(&e.xkey, text, sizeof text, &sym, nullptr);
          const char* name = sym == NoSymbol ? nullptr : XKeysymToString(sym);
          if (name && on_.key) {
            on_.key(name);
          }
          break;
        }
        case ButtonPress:
          if (e.xbutton.button == Button1) {
            if (x_->last_click != 0 && e.xbutton.time - x_->last_click <= double_click_ms) {
              x_->last_click = 0;
              if (on_.double_click) {
                on_.double_click();
              }
            } else {
              x_->last_click = e.xbutton.time;
            }
          }
          break;
        case ConfigureNotify:
          if (e.xconfigure.width != x_->width || e.xconfigure.height != x_->height) {
            x_->width = e.xconfigure.width;
            x_->height = e.xconfigure.height;
            if (on_.resized) {
              on_.resized(x_->width, x_->height);
            }
          }
          break;
        case Expose:
          if (e.xexpose.count == 0 && on_.exposed) {
            on_.exposed();
          }
          break;
        case ClientMessage:
          if (static_cast<Atom>(e.xclient.data.l[0]) == x_->delete_window && on_.closed) {
            on_.closed();
          }
          break;
        default:
          break;
      }
    }
    fds[0].revents = 0;
    fds[1].revents = 0;
    if (poll(fds, 2, -1) < 0) {
      continue;  // EINTR
    }
    if (fds[1].revents & POLLIN) {
      char command = 0;
      if (read(wake_pipe_[0], &command, 1) != 1) {
        continue;
      }
      if (command == command_quit) {
        return;
      }
      if (command == command_fullscreen) {
        set_fullscreen(!fullscreen_.load());
      } else if (command == command_resize && !fullscreen_.load()) {
        XResizeWindow(d, x_->window, static_cast<unsigned>(wanted_width_.load()),
                      static_cast<unsigned>(wanted_height_.load()));
        XFlush(d);
      }
    }
  }
}

}  // namespace treecast::media
