// Slurm host-list expansion: entries, bracket groups, ranges.
#include "cli/slurm_nodelist.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>

namespace moebench {

namespace {

constexpr std::size_t kMaxDigits = 9;  // a range bound of 9 digits fits every integer type here

bool is_digits(std::string_view text) {
  return !text.empty() && text.size() <= kMaxDigits &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The characters of a host name outside brackets (comparisons, not isalnum: a byte >= 0x80 is a
// negative char, undefined for <cctype>).
bool is_name_character(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
}

// The top-level entries of a list: a comma inside brackets separates ranges, not entries.
std::vector<std::string_view> split_entries(std::string_view list) {
  std::vector<std::string_view> entries;
  bool in_group = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= list.size(); ++i) {
    const char c = i < list.size() ? list[i] : ',';
    if (c == ',' && !in_group) {
      entries.push_back(list.substr(start, i - start));
      start = i + 1;
    } else if (c == '[') {
      if (in_group) throw NodelistError(fmt::format("a '[' inside brackets at character {}", i + 1));
      in_group = true;
    } else if (c == ']') {
      if (!in_group) throw NodelistError(fmt::format("a ']' without its '[' at character {}", i + 1));
      in_group = false;
    } else if (!in_group && !is_name_character(c)) {
      throw NodelistError(fmt::format("character {} ('{}') cannot be part of a host name", i + 1, c));
    }
  }
  if (in_group) throw NodelistError("a '[' without its ']'");
  return entries;
}

// One bracket group's numbers as text, in order: "01-03,7" gives 01 02 03 7 (a range is as wide
// as its lower bound, zeros in front).
std::vector<std::string> expand_group(std::string_view group, std::size_t max_hosts) {
  std::vector<std::string> numbers;
  std::size_t start = 0;
  for (std::size_t end = 0; end <= group.size(); ++end) {
    if (end < group.size() && group[end] != ',') continue;
    const std::string_view range = group.substr(start, end - start);
    start = end + 1;
    const std::size_t dash = range.find('-');
    const std::string_view low = range.substr(0, dash);
    const std::string_view high = dash == std::string_view::npos ? low : range.substr(dash + 1);
    if (!is_digits(low) || !is_digits(high)) {
      throw NodelistError(fmt::format("'{}' in [{}] is not a number or a range of numbers", range, group));
    }
    const std::int64_t from = std::stoll(std::string(low)), to = std::stoll(std::string(high));
    if (to < from) throw NodelistError(fmt::format("the range {} in [{}] runs backwards", range, group));
    if (numbers.size() + static_cast<std::size_t>(to - from + 1) > max_hosts) {
      throw NodelistError(fmt::format("it names more than {} hosts", max_hosts));
    }
    for (std::int64_t n = from; n <= to; ++n) numbers.push_back(fmt::format("{:0{}}", n, low.size()));
  }
  return numbers;
}

// One entry's hosts: its text between groups, times each group's numbers (the first outermost).
std::vector<std::string> expand_entry(std::string_view entry, std::size_t max_hosts) {
  if (entry.empty()) throw NodelistError("it has an empty entry");
  std::vector<std::string> hosts{""};
  for (std::size_t at = 0; at < entry.size();) {
    const std::size_t open = entry.find('[', at);
    const std::string_view text = entry.substr(at, open - at);
    for (std::string& host : hosts) host += text;
    if (open == std::string_view::npos) break;
    const std::size_t close = entry.find(']', open);  // split_entries saw it
    const std::vector<std::string> numbers = expand_group(entry.substr(open + 1, close - open - 1), max_hosts);
    if (hosts.size() * numbers.size() > max_hosts) {
      throw NodelistError(fmt::format("it names more than {} hosts", max_hosts));
    }
    std::vector<std::string> product;
    for (const std::string& host : hosts)
      for (const std::string& number : numbers) product.push_back(host + number);
    hosts = std::move(product);
    at = close + 1;
  }
  return hosts;
}

}  // namespace

std::vector<std::string> expand_slurm_nodelist(std::string_view list, std::size_t max_hosts) {
  std::vector<std::string> hosts;
  for (std::string_view entry : split_entries(list)) {
    std::vector<std::string> expanded = expand_entry(entry, max_hosts);
    if (hosts.size() + expanded.size() > max_hosts) {
      throw NodelistError(fmt::format("it names more than {} hosts", max_hosts));
    }
    hosts.insert(hosts.end(), expanded.begin(), expanded.end());
  }
  return hosts;
}

}  // namespace moebench
