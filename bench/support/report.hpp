#pragma once
// Small pieces every benchmark report has: percentiles, the machine's state, rounding for JSON.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::bench {

// Nearest-rank percentile of sorted nanosecond values, in ms; 0 when empty.
double percentile_ms(const std::vector<std::int64_t>& sorted, double p);

// ext4, tmpfs, xfs, btrfs, overlayfs, or the magic number in hex.
std::string filesystem_type(const std::filesystem::path& path);

// The 1- and 5-minute load averages, as /proc/loadavg writes them.
std::pair<std::string, std::string> load_average();

// To three decimals, for JSON reports.
double round3(double v);

}  // namespace weft::bench
