// Where traces go (the seed's layout, which TensorBoard's profile plugin and XProf read) and how
// they are written: gzip, through a temporary file and a rename.
#pragma once

#include <cstdint>
#include <string>

namespace moebench {

// "2026_11_26_10_15_30": one per run, shared by all its traces.
std::string trace_run_id();

// <profile_dir>/<scenario>_tokens<N>_<impl>/plugins/profile/<run_id>/<host>.trace.json.gz
std::string trace_path(const std::string& profile_dir, const std::string& scenario, std::int64_t tokens,
                       const std::string& implementation, const std::string& run_id, const std::string& host);

// Throws RunError naming the file on failure.
void write_gzip_atomically(const std::string& path, const std::string& content);

}  // namespace moebench
