// Output faults mid-run: a full disk (a file-size limit, a tiny tmpfs), the output folder removed,
// the output folder made read-only. A write that fails is one line and exit code 1, with every
// file holding whole rows of the cases finished before; a removed folder is written again whole.
#include <cerrno>
#include <cstring>
#include <sys/mount.h>
#include <unistd.h>

#include "fault_support.hpp"
#include "support/safetensors_reader.hpp"

namespace moebench::fault {
namespace {

using namespace std::chrono_literals;

// The single line a failed run prints on stderr.
void expect_one_error_line(const testing::ProcessResult& r, const std::string& text) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(r.err.rfind("bench_fused_vs_epmoe: error: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_NE(r.err.find(text), std::string::npos) << r.err;
}

// `bash -c 'ulimit -f KIB; exec BINARY ARGS...'`: writes past KIB KiB fail with EFBIG.
testing::ProcessResult run_with_file_size_limit(int kib, const std::vector<std::string>& args) {
  std::vector<std::string> shell{"-c", "ulimit -f " + std::to_string(kib) + " && exec \"$0\" \"$@\"", kBinary};
  shell.insert(shell.end(), args.begin(), args.end());
  return testing::run_process("/bin/bash", shell);
}

std::vector<std::string> with_output(std::vector<std::string> args, const std::string& base,
                                     std::vector<std::string> formats) {
  args.push_back("--output-format");
  args.insert(args.end(), formats.begin(), formats.end());
  args.push_back("--output-file");
  args.push_back(base);
  return args;
}

// The CSV alone under a 1 KiB limit: the rewrite that crosses it fails, the previous version
// stays, ending on a whole row, and the error names the file.
TEST_F(FaultTest, FileSizeLimitKeepsTheLastWholeCsv) {
  const auto r = run_with_file_size_limit(1, with_output(tiny(token_counts(30)), base(), {"csv"}));
  expect_one_error_line(r, "writing " + base() + ".csv failed: File too large");
  expect_whole_csv_rows(base() + ".csv");
  EXPECT_GE(line_count(base() + ".csv"), 3u);
  EXPECT_LE(std::filesystem::file_size(base() + ".csv"), 1024u);
}

// Markdown past the limit: the rewrite fails, the previous whole version stays, the CSV keeps its
// rows, and no temporary is left.
TEST_F(FaultTest, FileSizeLimitKeepsTheLastWholeMarkdown) {
  const auto r = run_with_file_size_limit(8, with_output(tiny(token_counts(30)), base(), {"csv", "markdown"}));
  expect_one_error_line(r, "writing " + base() + ".md failed: File too large");
  const int tables = markdown_tables(base() + ".md");
  EXPECT_GE(tables, 2);
  EXPECT_EQ(testing::read_file(base() + ".md").back(), '\n');
  expect_whole_csv_rows(base() + ".csv");
  // The CSV is written first: it holds the case whose Markdown failed too.
  EXPECT_EQ(line_count(base() + ".csv"), 1u + 2u * static_cast<unsigned>(tables + 1));
  expect_no_temporaries(dir_);
}

// --save-tensors past a file-size limit: the case file that crosses it is one line and is not
// left behind; the cases saved before stay whole, the benchmark runs every case, the CSV holds them
// all, and the exit code is that of any output that failed.
TEST_F(FaultTest, FileSizeLimitStopsTheSavingNotTheRun) {
  const std::string tensors = dir_ + "/tensors";
  const auto r = run_with_file_size_limit(512, with_output(tiny({"--num-tokens", "512", "1024", "2048", "4096",
                                                                 "--scenarios", "random", "--save-tensors", tensors}),
                                                           base(), {"csv"}));
  expect_one_error_line(r,
                        "--save-tensors: writing " + tensors + "/case_random_T2048.safetensors failed: File too large");
  expect_whole_csv_rows(base() + ".csv");
  EXPECT_EQ(line_count(base() + ".csv"), 1u + 2u * 4u);
  for (const char* name :
       {"config.json", "weights.safetensors", "case_random_T512.safetensors", "case_random_T1024.safetensors"})
    EXPECT_TRUE(std::filesystem::exists(tensors + "/" + name)) << name;
  EXPECT_NO_THROW(testing::read_safetensors(tensors + "/case_random_T1024.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(tensors + "/case_random_T2048.safetensors"));
  EXPECT_FALSE(std::filesystem::exists(tensors + "/case_random_T4096.safetensors"));
  expect_no_temporaries(dir_);
}

// A real full disk: a 64 KiB tmpfs, where mounting is allowed (root on Linux; skipped elsewhere).
TEST_F(FaultTest, FullTmpfsIsOneLineAndKeepsWholeRows) {
  const std::string mount_point = dir_ + "/tiny";
  std::filesystem::create_directory(mount_point);
  if (mount("moebench-fault", mount_point.c_str(), "tmpfs", 0, "size=64k") != 0) {
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "): needs root";
  }
  struct Unmount {
    std::string path;
    ~Unmount() { umount2(path.c_str(), MNT_DETACH); }
  } unmount{mount_point};
  const std::string base = mount_point + "/results";
  const auto r = testing::run_process(kBinary, with_output(tiny(token_counts(300)), base, {"csv", "markdown"}));
  expect_one_error_line(r, "No space left on device");
  expect_whole_csv_rows(base + ".csv");
  EXPECT_GE(markdown_tables(base + ".md"), 2);
  EXPECT_EQ(testing::read_file(base + ".md").back(), '\n');
  expect_no_temporaries(mount_point);
}

// The output folder removed after the first cases: both files are written again, whole, and the
// run finishes with every case in them.
TEST_F(FaultTest, OutputFolderRemovedMidRunIsWrittenAgainWhole) {
  const std::string out = dir_ + "/out";
  testing::ChildProcess child(kBinary, with_output(tiny(token_counts(60)), out + "/results", {"csv", "markdown"}));
  ASSERT_TRUE(wait_until([&] { return line_count(out + "/results.csv") >= 5; }, 60s)) << child.stderr_so_far();
  // Gone in one step (a recursive delete would race the writer), then deleted for good.
  std::filesystem::rename(out, dir_ + "/gone");
  std::filesystem::remove_all(dir_ + "/gone");
  const testing::ProcessResult r = child.wait();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(line_count(out + "/results.csv"), 1u + 2u * 180u);
  expect_whole_csv_rows(out + "/results.csv");
  EXPECT_EQ(markdown_tables(out + "/results.md"), 180);
  expect_no_temporaries(dir_);
}

// The output folder made read-only after the first cases. Root writes anyway, so as root the
// binary runs as nobody (setpriv), for whom the permissions hold.
TEST_F(FaultTest, OutputFolderMadeReadOnlyMidRunIsOneLineAndKeepsWholeRows) {
  const std::string out = dir_ + "/out";
  std::filesystem::create_directory(out);
  std::vector<std::string> args = with_output(tiny(token_counts(200)), out + "/results", {"csv", "markdown"});
  std::string program = kBinary;
  if (geteuid() == 0) {
    std::filesystem::permissions(dir_, std::filesystem::perms::all);
    std::filesystem::permissions(out, std::filesystem::perms::all);
    args.insert(args.begin(), {"--reuid=65534", "--regid=65534", "--clear-groups", "--", kBinary});
    program = "/usr/bin/setpriv";
  }
  testing::ChildProcess child(program, args);
  ASSERT_TRUE(wait_until([&] { return line_count(out + "/results.csv") >= 5; }, 60s)) << child.stderr_so_far();
  std::filesystem::permissions(out, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec |
                                        std::filesystem::perms::group_read | std::filesystem::perms::group_exec |
                                        std::filesystem::perms::others_read | std::filesystem::perms::others_exec);
  const testing::ProcessResult r = child.wait();
  expect_one_error_line(r, "Permission denied");
  EXPECT_NE(r.err.find(out + "/results."), std::string::npos) << r.err;
  expect_whole_csv_rows(out + "/results.csv");
  // The CSV is written first, so it holds the Markdown's cases, or one more if the folder became
  // read-only between the two. (A temporary created just before the chmod cannot be removed from
  // a read-only folder, so none is checked for.)
  const int tables = markdown_tables(out + "/results.md");
  EXPECT_GE(tables, 1);
  EXPECT_EQ(testing::read_file(out + "/results.md").back(), '\n');
  const std::size_t csv_cases = (line_count(out + "/results.csv") - 1) / 2;
  EXPECT_TRUE(csv_cases == static_cast<std::size_t>(tables) || csv_cases == static_cast<std::size_t>(tables) + 1)
      << csv_cases << " CSV cases, " << tables << " Markdown tables";
}

}  // namespace
}  // namespace moebench::fault
