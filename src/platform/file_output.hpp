// Output files that never look complete when they are not: every file is rewritten whole through
// a temporary file and a rename, so a reader sees one complete version or the next.
#pragma once

#include <cstddef>
#include <functional>
#include <string>

namespace moebench {

// Creates the missing directories above `path` (after validation; never during it).
void create_parent_directories(const std::string& path);

// Where `path` cannot be written (its directory, or the nearest existing one above, not
// writable; or the file itself read-only), a one-line reason; empty when it can be.
std::string unwritable_reason(const std::string& path);

// Writes `content` to `path` by way of `path.tmp` and a rename, creating missing folders (again,
// if one vanished during the run). On failure, RunError naming the file; the old file stays whole.
void write_file_atomically(const std::string& path, const std::string& content);

// Where a streamed file's bytes go, in as many pieces as its producer likes.
using ByteSink = std::function<void(const void* data, std::size_t size)>;

// write_file_atomically for content too large to hold at once: `produce` hands it to the sink piece by
// piece. It may be called twice (from the start again, when the folder vanished during the first try).
void write_stream_atomically(const std::string& path, const std::function<void(const ByteSink&)>& produce);

}  // namespace moebench
