#include "runtime/own_site.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include "core/site_inference.hpp"

namespace treecast::runtime {

std::string local_address_toward(const std::string& host, std::uint16_t port) {
  namespace ip = boost::asio::ip;
  boost::asio::io_context io;
  boost::system::error_code error;
  ip::udp::resolver resolver(io);
  const auto targets = resolver.resolve(host, std::to_string(port), error);
  if (error) {
    return "";
  }
  for (const auto& target : targets) {
    ip::udp::socket socket(io);
    socket.open(target.endpoint().protocol(), error);
    if (!error) {
      socket.connect(target.endpoint(), error);  // picks a route; sends nothing
    }
    if (!error) {
      const auto local = socket.local_endpoint(error);
      if (!error) {
        return local.address().to_string();
      }
    }
  }
  return "";
}

std::string own_site(const std::string& given, const std::string& own_address) {
  if (given == no_site) {
    return "";
  }
  if (!given.empty()) {
    return given;
  }
  return core::site_inference::label_of_address(own_address);
}

}  // namespace treecast::runtime
