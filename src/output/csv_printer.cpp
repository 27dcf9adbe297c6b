// CSV printer: the header at begin, each finished case's rows added, and the whole file rewritten
// atomically each time (temporary file and rename). Appending would be cheaper, but an append is
// not atomic for a concurrent reader: one that straddles a page boundary can be seen half-written
// (tests/fault caught it), and a reader must never see part of a row.
#include <memory>

#include "output/csv_format.hpp"
#include "output/printer.hpp"
#include "platform/file_output.hpp"

namespace moebench {
namespace {

class CsvPrinter final : public ResultPrinter {
 public:
  explicit CsvPrinter(std::string path) : path_(std::move(path)) {}
  void begin(const RunInfo&) override {
    text_ = csv_header() + "\n";
    write_file_atomically(path_, text_);
  }
  void add_case(std::span<const ResultRow> rows) override {
    std::string lines;
    for (const ResultRow& row : rows) lines += csv_row(row) + "\n";
    write_file_atomically(path_, text_ + lines);
    text_ += lines;  // only once written: a failed write leaves the file and the text as they were
  }

 private:
  std::string path_;
  std::string text_;
};

}  // namespace

std::unique_ptr<ResultPrinter> make_csv_printer(std::string path) {
  return std::make_unique<CsvPrinter>(std::move(path));
}

}  // namespace moebench
