// The report's stylesheet: readable from phone width to print, charts scaled by their viewBox.
#include "output/html_sections.hpp"

namespace moebench {

std::string_view report_css() {
  return R"css(
* { box-sizing: border-box; }
body { margin: 0; color: #1b1b1b; background: #fff;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 20px 32px; }
h1 { font-size: 1.5rem; margin: 0.2em 0; }
h2 { font-size: 1.25rem; margin: 1.6em 0 0.6em; padding-bottom: 0.2em; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; margin: 1.2em 0 0.4em; }
.subtitle { color: #555; margin: 0 0 1em; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 430px), 1fr)); gap: 18px 28px; }
figure { margin: 0; min-width: 0; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-weight: 600; font-size: 0.95rem; margin-bottom: 4px; }
svg.chart { display: block; width: 100%; max-width: 100%; height: auto; }
.legend { list-style: none; margin: 4px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 2px 16px; font-size: 0.85rem; }
.legend svg { vertical-align: middle; margin-right: 5px; }
.note { color: #555; font-size: 0.9rem; font-style: italic; border-left: 3px solid #ccc; margin: 6px 0; padding: 2px 10px; }
.partial { background: #fff4e5; border: 1px solid #e8a54b; padding: 6px 10px; }
dl.meta { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 3px 18px; margin: 0.4em 0 1em; }
dl.meta dt { font-weight: 600; color: #555; }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85em; background: #f3f3f3;
  padding: 1px 4px; border-radius: 3px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 9px; border-bottom: 1px solid #e6e6e6; text-align: left; white-space: nowrap; }
th.num, td.num { text-align: right; }
thead th { background: #f7f7f7; border-bottom: 2px solid #ccc; }
footer { margin-top: 2em; color: #777; font-size: 0.8rem; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  main { padding: 10px 10px 24px; }
  dl.meta { grid-template-columns: minmax(0, 1fr); }
  dl.meta dd { margin-bottom: 6px; }
}
@media print {
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  .charts { grid-template-columns: 1fr 1fr; }
  .table-wrap { overflow: visible; }
  table { font-size: 7.5pt; }
  th, td { padding: 1px 4px; }
  h2 { break-after: avoid; page-break-after: avoid; }
  code { background: none; }
}
)css";
}

}  // namespace moebench
