// Printers only format: they receive the run header once and each finished case's rows, and
// write them out at once, so an interrupted run keeps every finished case.
#pragma once

#include <cstdio>
#include <memory>
#include <span>
#include <vector>

#include "output/result.hpp"

namespace moebench {

class ResultPrinter {
 public:
  virtual ~ResultPrinter() = default;
  virtual void begin(const RunInfo& info) = 0;
  virtual void add_case(std::span<const ResultRow> rows) = 0;
  virtual void end() {}
};

class PrinterMultiplex final : public ResultPrinter {
 public:
  void add(std::unique_ptr<ResultPrinter> printer) { printers_.push_back(std::move(printer)); }
  void begin(const RunInfo& info) override {
    for (auto& p : printers_) p->begin(info);
  }
  void add_case(std::span<const ResultRow> rows) override {
    for (auto& p : printers_) p->add_case(rows);
  }
  void end() override {
    for (auto& p : printers_) p->end();
  }

 private:
  std::vector<std::unique_ptr<ResultPrinter>> printers_;
};

std::unique_ptr<ResultPrinter> make_csv_printer(std::string path);
std::unique_ptr<ResultPrinter> make_markdown_printer(std::string path);
std::unique_ptr<ResultPrinter> make_json_printer(std::string path);
std::unique_ptr<ResultPrinter> make_html_printer(std::string path);
std::unique_ptr<ResultPrinter> make_console_printer(std::FILE* stream);

}  // namespace moebench
