// treecast-bench: benchmarks that print figures (not tests). One subcommand
// per benchmark; with --json the last line is one JSON object.
#include <boost/program_options.hpp>
#include <cstdio>
#include <functional>
#include <iostream>
#include <sstream>
#include <vector>

#include "browser_bench.hpp"
#include "crypto_bench.hpp"
#include "fanout_bench.hpp"
#include "fanout_sinks.hpp"
#include "latency_bench.hpp"
#include "repair_bench.hpp"
#include "startup_bench.hpp"

namespace po = boost::program_options;

namespace {

// Parses a subcommand's flags (argv[2..]) into `description`'s values and
// runs `check`. Returns -1 to go on, or the exit code: 0 after --help, 2 for
// bad flags.
int parse_subcommand(int argc, char** argv, po::options_description& description,
                     const std::function<void()>& check) {
  description.add_options()("help,h", "show this help");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc - 1, argv + 1, description), vm);
    if (vm.count("help")) {
      std::cout << description << "\n";
      return 0;
    }
    po::notify(vm);
    check();
  } catch (const std::exception& e) {
    std::cerr << "treecast-bench " << argv[1] << ": " << e.what() << "\n";
    return 2;
  }
  return -1;
}

std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  for (std::istringstream in(text); std::getline(in, item, ',');) {
    if (!item.empty()) {
      out.push_back(item);
    }
  }
  return out;
}

// "1,10,50" as numbers, each within [low, high]; throws
// std::invalid_argument naming `flag` otherwise.
std::vector<int> int_list(const std::string& text, int low, int high, const std::string& flag) {
  std::vector<int> out;
  for (const auto& item : split_commas(text)) {
    std::size_t used = 0;
    const int n = std::stoi(item, &used);
    if (used != item.size() || n < low || n > high) {
      throw std::invalid_argument(flag + ": each in " + std::to_string(low) + ".." +
                                  std::to_string(high));
    }
    out.push_back(n);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: treecast-bench SUBCOMMAND [options]\n\n"
      "subcommands:\n"
      "  repair   kill -9 / kill -STOP a relay with children, repeatedly, on loopback:\n"
      "           repair time p50/p99 (kill -> stream flowing again), chunks lost\n"
      "  startup  a viewer launched repeatedly against a live broadcast: launch -> first\n"
      "           frame p50/p90, under the broadcaster and under a relay\n"
      "  fanout   one relay fed ~4 Mbit/s forwarding to 1/10/50/100 children: relay CPU per\n"
      "           second and per forwarded Gbit, peak RSS; treecast beside tcpserversink,\n"
      "           srtsink (listener) and nginx-rtmp, with the ratios\n"
      "  latency  a depth-6 chain on loopback: capture -> arrival at depths 1 and 6, latency\n"
      "           added per hop (p50/p99), glass-to-glass at the viewer; beside srtsrc/srtsink\n"
      "           relays at SRT's default latency and lower ones (--srt-latency), frames lost\n"
      "  crypto   Ed25519 verify/sign per chunk and AES-256-GCM per Mbit, as a fraction of\n"
      "           one core at the stream's bitrate\n"
      "  browsers an office relay serving browsers (--serve-browsers) to 0, 1, 3 headless\n"
      "           Chromium pages: relay CPU and CPU per browser, glass-to-glass per frame\n"
      "           in the browsers beside a native viewer's\n";
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << usage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "repair") {
    treecast::bench::repair_options options;
    po::options_description description("treecast-bench repair options");
    // clang-format off
    description.add_options()
      ("rounds", po::value(&options.rounds)->default_value(options.rounds), "rounds per failure kind")
      ("children", po::value(&options.children)->default_value(options.children),
       "children of the relay that fails")
      ("json", po::bool_switch(&options.json), "print a JSON object as the last line");
    // clang-format on
    const int parsed = parse_subcommand(argc, argv, description, [&] {
      if (options.rounds < 1 || options.children < 1 || options.children > 16) {
        throw std::invalid_argument("--rounds >= 1 and --children in 1..16");
      }
    });
    return parsed >= 0 ? parsed : treecast::bench::run_repair_bench(options);
  }
  if (command == "browsers") {
    treecast::bench::browser_options options;
    std::string counts = "1,3";
    int seconds = static_cast<int>(options.window.count());
    po::options_description description("treecast-bench browsers options");
    // clang-format off
    description.add_options()
      ("browsers", po::value(&counts)->default_value(counts),
       "pages watching, one run per count (after a run with none)")
      ("seconds", po::value(&seconds)->default_value(seconds), "measured per run")
      ("json", po::bool_switch(&options.json), "print a JSON object as the last line");
    // clang-format on
    const int parsed = parse_subcommand(argc, argv, description, [&] {
      options.browsers = int_list(counts, 1, 20, "--browsers");
      if (seconds < 5 || seconds > 600) {
        throw std::invalid_argument("--seconds in 5..600");
      }
      options.window = std::chrono::seconds(seconds);
    });
    return parsed >= 0 ? parsed : treecast::bench::run_browser_bench(options);
  }
  if (command == "startup") {
    treecast::bench::startup_options options;
    po::options_description description("treecast-bench startup options");
    // clang-format off
    description.add_options()
      ("runs", po::value(&options.runs)->default_value(options.runs), "viewer launches per placement")
      ("json", po::bool_switch(&options.json), "print a JSON object as the last line");
    // clang-format on
    const int parsed = parse_subcommand(argc, argv, description, [&] {
      if (options.runs < 1 || options.runs > 1000) {
        throw std::invalid_argument("--runs in 1..1000");
      }
    });
    return parsed >= 0 ? parsed : treecast::bench::run_startup_bench(options);
  }
  if (command == "latency") {
    treecast::bench::latency_options options;
    std::string srt_latencies = "120,20";
    std::string treecast_profiles = "default";
    po::options_description description("treecast-bench latency options");
    // clang-format off
    description.add_options()
      ("seconds", po::value(&options.seconds)->default_value(options.seconds), "measured seconds")
      ("treecast", po::value(&treecast_profiles)->default_value(treecast_profiles),
       "treecast chains to run: 'default' or CHUNK_MS/LATENCY_MS each (e.g. 200/300,default)")
      ("srt-latency", po::value(&srt_latencies)->default_value(srt_latencies),
       "SRT chains to run, one per receive latency in ms (120 is SRT's default)")
      ("json", po::bool_switch(&options.json), "print a JSON object as the last line");
    // clang-format on
    const int parsed = parse_subcommand(argc, argv, description, [&] {
      options.srt_latencies_ms = int_list(srt_latencies, 0, 10000, "--srt-latency");
      options.treecast.clear();
      for (const auto& profile : split_commas(treecast_profiles)) {
        options.treecast.push_back(treecast::bench::parse_treecast_profile(profile));
      }
      if (options.seconds < 2) {
        throw std::invalid_argument("--seconds >= 2");
      }
    });
    return parsed >= 0 ? parsed : treecast::bench::run_latency_bench(options);
  }
  if (command == "fanout") {
    treecast::bench::fanout_options options;
    std::string children = "1,10,50,100", impls = "treecast,tcpserversink,srtsink,nginx-rtmp";
    po::options_description description("treecast-bench fanout options");
    // clang-format off
    description.add_options()
      ("children", po::value(&children)->default_value(children), "comma-separated child counts")
      ("impls", po::value(&impls)->default_value(impls),
       "comma-separated implementations (treecast@MS: the broadcaster at --chunk-ms MS)")
      ("seconds", po::value(&options.seconds)->default_value(options.seconds),
       "measured seconds per row")
      ("json", po::bool_switch(&options.json), "print a JSON object as the last line");
    // clang-format on
    const int parsed = parse_subcommand(argc, argv, description, [&] {
      options.children = int_list(children, 1, 500, "--children");
      options.impls = split_commas(impls);
      for (const auto& i : options.impls) {
        if (treecast::bench::is_treecast(i)) {
          if (i != "treecast") {
            int_list(i.substr(i.find('@') + 1), 20, 2000, "--impls treecast@MS");
          }
        } else if (i != "tcpserversink" && i != "srtsink" && i != "nginx-rtmp") {
          throw std::invalid_argument(
              "--impls: treecast, treecast@CHUNK_MS, tcpserversink, srtsink, nginx-rtmp");
        }
      }
      if (options.seconds < 1) {
        throw std::invalid_argument("--seconds >= 1");
      }
    });
    return parsed >= 0 ? parsed : treecast::bench::run_fanout_bench(options);
  }
  // The fan-out benchmark's children (started by `fanout` itself).
  if (command == "treecast-sinks" || command == "gst-sinks") {
    std::string target;
    int count = 1;
    po::options_description description("treecast-bench " + command + " (used by fanout)");
    // clang-format off
    description.add_options()
      ("target", po::value(&target)->required(), "treecast link, or a GStreamer source")
      ("count", po::value(&count)->default_value(count), "children");
    // clang-format on
    po::positional_options_description positional;
    positional.add("target", 1);
    try {
      po::variables_map vm;
      po::store(po::command_line_parser(argc - 1, argv + 1)
                    .options(description)
                    .positional(positional)
                    .run(),
                vm);
      po::notify(vm);
    } catch (const std::exception& e) {
      std::cerr << "treecast-bench " << command << ": " << e.what() << "\n";
      return 2;
    }
    return command == "treecast-sinks" ? treecast::bench::run_treecast_sinks(target, count)
                                       : treecast::bench::run_gst_sinks(target, count);
  }
  if (command == "crypto") {
    treecast::bench::crypto_options options;
    po::options_description description("treecast-bench crypto options");
    // clang-format off
    description.add_options()
      ("bitrate", po::value(&options.bitrate_mbps)->default_value(options.bitrate_mbps),
       "stream bitrate, Mbit/s")
      ("chunk-ms", po::value(&options.chunk_ms)->default_value(options.chunk_ms),
       "capture time per chunk, ms")
      ("seconds", po::value(&options.seconds)->default_value(options.seconds),
       "measuring time per operation")
      ("json", po::bool_switch(&options.json), "print a JSON object as the last line");
    // clang-format on
    const int parsed = parse_subcommand(argc, argv, description, [&] {
      if (!(options.bitrate_mbps > 0 && options.bitrate_mbps <= 1000) || options.chunk_ms < 1 ||
          !(options.seconds > 0)) {
        throw std::invalid_argument("--bitrate in (0, 1000], --chunk-ms >= 1, --seconds > 0");
      }
    });
    return parsed >= 0 ? parsed : treecast::bench::run_crypto_bench(options);
  }
  std::cerr << "treecast-bench: unknown subcommand '" << command << "'\n\n" << usage;
  return 2;
}
