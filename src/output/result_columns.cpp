// The result columns' table, and the cells and places the text views take from it.
#include "output/result_columns.hpp"

#include <fmt/format.h>

namespace moebench {

namespace {

using enum RowPart;

// Without measured peaks there is no roofline time, nor a percentage of it.
Cell with_peaks(const RooflineMetrics& m, double value) { return m.roofline_ms > 0 ? Cell{value} : Cell{}; }

// In CSV order, since the spec fixes that order and the CSV shows every column. The console and the
// Markdown show some, each in an order of its own, so each ranks what it shows in a field of the
// column's entry: adding a column, or showing it in one more view, is an edit of one entry, and a
// view's order reads down its rank field.
constexpr ResultColumn kColumns[] = {
    {"implementation",
     "{}",
     kAlways,
     [](const ResultRow& r) -> Cell { return impl_name(r.implementation); },
     {3, "impl", "{}", 6}},
    {"scenario",
     "{}",
     kAlways,
     [](const ResultRow& r) -> Cell { return scenario_name(r.bench_case.scenario); },
     {1, "scenario", "{}", 10}},
    {"num_tokens",
     "{}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.bench_case.num_tokens; },
     {2, "tokens", "{}", 7}},
    {"ep_size", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.ep_size; }},
    {"tp_size", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.tp_size; }},
    {"num_experts", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.num_experts; }},
    {"num_experts_per_tok", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.top_k; }},
    {"latency_mean_ms",
     "{:.4f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.latency.mean_ms; },
     {4, "mean_ms", "{:.4f}", 10},
     {1, "Mean Latency (ms)", "{:.4f}"}},
    {"latency_std_ms",
     "{:.4f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.latency.std_ms; },
     {},
     {5, "Std (ms)", "{:.4f}"}},
    {"latency_p50_ms",
     "{:.4f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.latency.p50_ms; },
     {5, "p50_ms", "{:.4f}", 10},
     {2, "P50 Latency (ms)", "{:.4f}"}},
    {"latency_p95_ms",
     "{:.4f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.latency.p95_ms; },
     {6, "p95_ms", "{:.4f}", 10},
     {3, "P95 Latency (ms)", "{:.4f}"}},
    {"latency_p99_ms",
     "{:.4f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.latency.p99_ms; },
     {},
     {4, "P99 Latency (ms)", "{:.4f}"}},
    {"latency_min_ms", "{:.4f}", kAlways, [](const ResultRow& r) -> Cell { return r.latency.min_ms; }},
    {"latency_max_ms", "{:.4f}", kAlways, [](const ResultRow& r) -> Cell { return r.latency.max_ms; }},
    {"max_load",
     "{}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.load.max_load; },
     {},
     {8, "Load max / min / avg", "{}"}},
    {"min_load", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.load.min_load; }, {}, {8, "", "{}"}},
    {"avg_load", "{:.2f}", kAlways, [](const ResultRow& r) -> Cell { return r.load.avg_load; }, {}, {8, "", "{:.2f}"}},
    {"max_imbalance",
     "{:.2f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.load.max_imbalance; },
     {8, "imbal", "{:.2f}x", 7},
     {7, "Max Imbalance", "{:.2f}x"}},
    {"throughput_tok_per_sec",
     "{:.2f}",
     kAlways,
     [](const ResultRow& r) -> Cell { return r.throughput_tok_per_sec; },
     {7, "tok/s", "{:.1f}", 12},
     {6, "Throughput (tok/s)", "{:.1f}"}},
    {"device", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.device; }},
    {"dtype", "{}", kAlways, [](const ResultRow& r) -> Cell { return r.dtype; }},
    {"check_rel_err",
     "{:.3e}",
     kCheck,
     [](const ResultRow& r) -> Cell { return *r.check_rel_err; },
     {9, "check", "{:.2e}", 9},
     {11, "Check (rel err)", "{:.2e}"}},
    {"tflops",
     "{:.3f}",
     kRoofline,
     [](const ResultRow& r) -> Cell { return r.roofline->tflops; },
     {},
     {9, "TFLOP/s", "{:.3f}"}},
    {"hbm_gbps", "{:.1f}", kRoofline, [](const ResultRow& r) -> Cell { return r.roofline->hbm_gbps; }},
    {"roofline_ms", "{:.4f}", kRoofline,
     [](const ResultRow& r) { return with_peaks(*r.roofline, r.roofline->roofline_ms); }},
    {"pct_of_roofline",
     "{:.1f}",
     kRoofline,
     [](const ResultRow& r) { return with_peaks(*r.roofline, r.roofline->pct_of_roofline); },
     {10, "%roof", "{:.1f}", 7},
     {10, "% of Roofline", "{:.1f}%"}},
    {"comm_bytes", "{}", kComm, [](const ResultRow& r) -> Cell { return r.comm->bytes; }},
    {"comm_floor_ms",
     "{:.4f}",
     kComm,
     [](const ResultRow& r) -> Cell { return r.comm->floor_ms; },
     {},
     {12, "Comm Floor (ms)", "{:.4f}"}},
    {"pct_of_bound",
     "{:.1f}",
     kComm,
     [](const ResultRow& r) -> Cell { return r.comm->pct_of_bound; },
     {11, "%bound", "{:.1f}", 7},
     {13, "% of Bound", "{:.1f}%"}},
};

}  // namespace

std::span<const ResultColumn> result_columns() { return kColumns; }

bool has_part(const ResultRow& row, RowPart part) {
  switch (part) {
    case kAlways: return true;
    case kCheck: return row.check_rel_err.has_value();
    case kRoofline: return row.roofline.has_value();
    case kComm: return row.comm.has_value();
  }
  return false;
}

Cell cell_value(const ResultColumn& column, const ResultRow& row) {
  return has_part(row, column.part) ? column.value(row) : Cell{};
}

std::string format_cell(const Cell& cell, std::string_view format) {
  if (!cell) return "";
  return std::visit([format](const auto& value) { return fmt::format(fmt::runtime(format), value); }, *cell);
}

std::vector<ViewPlace> view_places(TextView ResultColumn::*view) {
  std::vector<ViewPlace> places;
  for (const ResultColumn& column : kColumns) {
    const int rank = (column.*view).rank;
    if (rank == 0) continue;
    if (places.size() < static_cast<std::size_t>(rank)) places.resize(rank);
    places[rank - 1].push_back(&column);
  }
  std::erase_if(places, [](const ViewPlace& place) { return place.empty(); });  // ranks need not be consecutive
  return places;
}

std::string place_title(const ViewPlace& place, TextView ResultColumn::*view) {
  const TextView& shown = place.front()->*view;
  return fmt::format("{:>{}}", shown.title, shown.width);
}

std::string place_text(const ViewPlace& place, TextView ResultColumn::*view, const ResultRow& row) {
  std::string text;
  for (const ResultColumn* column : place) {
    const Cell cell = cell_value(*column, row);
    if (column != place.front()) text += " / ";
    text += cell ? format_cell(cell, (column->*view).format) : "-";
  }
  return fmt::format("{:>{}}", text, (place.front()->*view).width);
}

}  // namespace moebench
