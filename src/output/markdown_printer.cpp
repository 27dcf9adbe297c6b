// Markdown printer: the whole document rewritten atomically after each case.
#include "output/markdown_format.hpp"
#include "output/printer.hpp"
#include "platform/file_output.hpp"

namespace moebench {
namespace {

class MarkdownPrinter final : public ResultPrinter {
 public:
  explicit MarkdownPrinter(std::string path) : path_(std::move(path)) {}
  void begin(const RunInfo& info) override {
    document_ = markdown_header(info);
    write_file_atomically(path_, document_);
  }
  void add_case(std::span<const ResultRow> rows) override {
    document_ += markdown_case_table(std::vector<ResultRow>(rows.begin(), rows.end()));
    write_file_atomically(path_, document_);
  }

 private:
  std::string path_;
  std::string document_;
};

}  // namespace

std::unique_ptr<ResultPrinter> make_markdown_printer(std::string path) {
  return std::make_unique<MarkdownPrinter>(std::move(path));
}

}  // namespace moebench
