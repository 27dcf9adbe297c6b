// HTML printer: the self-contained report (src/output/html_report.hpp) rewritten atomically after
// each case, the charts redrawn with every case finished so far.
#include "output/html_report.hpp"
#include "output/printer.hpp"
#include "platform/file_output.hpp"

namespace moebench {
namespace {

class HtmlPrinter final : public ResultPrinter {
 public:
  explicit HtmlPrinter(std::string path) : path_(std::move(path)) {}
  void begin(const RunInfo& info) override {
    runs_.push_back(make_run_record(info));
    write();
  }
  void add_case(std::span<const ResultRow> rows) override {
    runs_.front().cases.push_back(make_case_record(rows));
    write();
  }

 private:
  void write() const { write_file_atomically(path_, html_report(runs_)); }

  std::string path_;
  std::vector<RunRecord> runs_;  // one: the report of a live run
};

}  // namespace

std::unique_ptr<ResultPrinter> make_html_printer(std::string path) {
  return std::make_unique<HtmlPrinter>(std::move(path));
}

}  // namespace moebench
