#include "peer_thread.hpp"

#include <boost/asio/post.hpp>

namespace treecast::plugin {

std::chrono::milliseconds leave_grace(const core::node_config& config) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(config.leave_linger) +
         std::chrono::seconds(1);
}

peer_thread::~peer_thread() {
  if (thread_.joinable()) {
    io_.stop();
    thread_.join();
  }
}

void peer_thread::run() {
  std::packaged_task<void()> task([this] { io_.run(); });
  ended_ = task.get_future();
  thread_ = std::thread(std::move(task));
}

void peer_thread::stop(const std::function<void()>& leave, std::chrono::milliseconds grace) {
  if (!thread_.joinable()) {
    return;
  }
  boost::asio::post(io_, leave);
  if (ended_.wait_for(grace) != std::future_status::ready) {
    io_.stop();  // a child that will not take the handover: leave anyway
  }
  thread_.join();
}

}  // namespace treecast::plugin
