// JSON printer: the whole document (docs/results_json.md) rewritten atomically after each case, so
// the file on disk is always a valid document of the cases finished so far.
#include "output/printer.hpp"
#include "output/results_json.hpp"
#include "platform/file_output.hpp"

namespace moebench {
namespace {

class JsonPrinter final : public ResultPrinter {
 public:
  explicit JsonPrinter(std::string path) : path_(std::move(path)) {}
  void begin(const RunInfo& info) override {
    run_ = make_run_record(info);
    write();
  }
  void add_case(std::span<const ResultRow> rows) override {
    run_.cases.push_back(make_case_record(rows));
    write();
  }

 private:
  // A command line in another encoding than UTF-8 must not stop the run: such bytes become U+FFFD.
  void write() const {
    write_file_atomically(path_, results_to_json(run_).dump(1, ' ', false, Json::error_handler_t::replace) + "\n");
  }

  std::string path_;
  RunRecord run_;
};

}  // namespace

std::unique_ptr<ResultPrinter> make_json_printer(std::string path) {
  return std::make_unique<JsonPrinter>(std::move(path));
}

}  // namespace moebench
