// Text for HTML and SVG: escaping (command lines hold <, &, quotes) and compact numbers.
#pragma once

#include <string>
#include <string_view>

namespace moebench {

// Escapes &, <, >, " and ' so the text is safe in element content and in quoted attributes.
std::string html_escape(std::string_view text);

// A number with `digits` significant digits and no exponent for the magnitudes a report shows
// (0.0012, 3.46, 212.3, 15731): for tooltips, tick labels and table cells.
std::string format_significant(double value, int digits);

}  // namespace moebench
