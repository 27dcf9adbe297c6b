// CSV printer: the header at begin, each finished case's rows appended and flushed.
#include <memory>

#include "output/csv_format.hpp"
#include "output/file_output.hpp"
#include "output/printer.hpp"

namespace moebench {
namespace {

class CsvPrinter final : public ResultPrinter {
 public:
  explicit CsvPrinter(std::string path) : path_(std::move(path)) {}
  void begin(const RunInfo&) override {
    file_ = std::make_unique<AppendFile>(path_);
    file_->write(csv_header() + "\n");
  }
  void add_case(std::span<const ResultRow> rows) override {
    std::string lines;
    for (const ResultRow& row : rows) lines += csv_row(row) + "\n";
    file_->write(lines);
  }

 private:
  std::string path_;
  std::unique_ptr<AppendFile> file_;
};

}  // namespace

std::unique_ptr<ResultPrinter> make_csv_printer(std::string path) { return std::make_unique<CsvPrinter>(std::move(path)); }

}  // namespace moebench
