// Each viewer's own network in the lab (--viewer-netns): which site it sits
// behind, the caps on its link (tbf) and whether it accepts connections at
// all (an nftables input drop, as behind a home router or a laptop's
// firewall). Given out per site, so every site gets its share of each.
#pragma once

#include <string>
#include <vector>

namespace treecast::lab {

struct viewer_conditions {
  int viewer = 0;            // 1-based, as in "viewer7"
  int site = 0;              // 1..sites, round-robin as the lab spreads its peers
  int down_kbit = 0;         // downlink cap, 0 = none
  int up_kbit = 0;           // uplink cap, 0 = none
  bool unreachable = false;  // drops every inbound connection
};

// Viewer i sits at site (i-1) % sites + 1; within its site it is the j-th
// (0-based). Caps go round-robin over j from `down_kbit` / `up_kbit` (empty
// = none); the unreachable ones are spread evenly over j at the fraction
// `unreachable`, half a step from the start (1/3 picks j = 1, 4, 7, ...), so
// that with a cap list of length 3 the two sets do not coincide.
std::vector<viewer_conditions> assign_viewer_conditions(int viewers, int sites,
                                                        const std::vector<int>& down_kbit,
                                                        const std::vector<int>& up_kbit,
                                                        double unreachable);

// "1000,0,150" -> {1000, 0, 150}. Throws std::invalid_argument naming a bad
// item (not a number, negative).
std::vector<int> parse_kbit_list(const std::string& text);

// "unreachable, down 1000 kbit/s" and the like, for the lab's progress lines.
std::string describe(const viewer_conditions& c);

}  // namespace treecast::lab
