"""The HTML reports rendered in headless Chromium: no console errors or blocked loads, every chart
drawn at its viewBox's proportions and not blank in the screenshot, nothing wider than a phone.

usage: check_html_render.py --screenshots DIR REPORT.html...
"""
import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "support"))
import headless_chromium as browser  # noqa: E402

WIDTH = 1200
PHONE_WIDTH = 360
# The implementations' colours (src/output/html_charts.cpp): a latency chart shows one or both.
SERIES_COLORS = [(0x00, 0x72, 0xB2), (0xD5, 0x5E, 0x00)]


def close(pixel, color, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, color))


def chart_pixels(rows, chart):
    """Sampled (r, g, b) pixels of the chart's box in the screenshot."""
    x0, y0 = int(chart["x"]), int(chart["y"])
    x1, y1 = int(chart["x"] + chart["width"]), int(chart["y"] + chart["height"])
    pixels = []
    for y in range(max(y0, 0), min(y1, len(rows)), 2):
        row = rows[y]
        for x in range(max(x0, 0), min(x1, len(row) // 3), 2):
            pixels.append(tuple(row[3 * x:3 * x + 3]))
    return pixels


def check_chart(name, chart, rows, failures):
    label = f"{name}: {chart['kind']} chart at y={chart['y']:.0f}"
    if chart["width"] < 200 or chart["height"] <= 0:
        failures.append(f"{label} is {chart['width']:.0f} x {chart['height']:.0f} px")
        return
    expected = chart["viewbox_height"] / chart["viewbox_width"]
    if abs(chart["height"] / chart["width"] - expected) > 0.02:
        failures.append(f"{label}: aspect {chart['height'] / chart['width']:.3f}, viewBox says {expected:.3f}")
    if chart["marks"] < 4 or chart["texts"] < 4:
        failures.append(f"{label}: {chart['marks']} marks and {chart['texts']} labels: axes or data missing")
    pixels = chart_pixels(rows, chart)
    inked = sum(1 for p in pixels if min(p) < 230)
    if not pixels or inked < 0.02 * len(pixels):
        failures.append(f"{label} is blank in the screenshot ({inked} of {len(pixels)} sampled pixels inked)")
    if len(set(pixels)) < 6:
        failures.append(f"{label}: only {len(set(pixels))} colours in the screenshot")
    if chart["kind"] == "latency" and not any(close(p, c) for p in pixels for c in SERIES_COLORS):
        failures.append(f"{label}: no series colour drawn")


def check_report(html_path, screenshots):
    """The failures found in one report, each a line."""
    failures = []
    name = Path(html_path).name
    source = Path(html_path).read_text(encoding="utf-8")
    expected_charts = len(re.findall(r'<svg class="chart"', source))

    page = browser.probe_page(html_path, WIDTH)
    failures.extend(f"{name}: {e}" for e in page["errors"])
    if len(page["charts"]) != expected_charts:
        failures.append(f"{name}: {len(page['charts'])} charts rendered, the file has {expected_charts}")
    if page["tables"] != 1:
        failures.append(f"{name}: {page['tables']} tables rendered, expected the results table")
    if page["scroll_width"] > page["inner_width"]:
        failures.append(f"{name}: {page['scroll_width']} px wide at a {page['inner_width']} px window")

    png = Path(screenshots) / (Path(html_path).stem + ".png")
    height = min(page["scroll_height"], 16000)
    console = browser.screenshot(html_path, png, WIDTH, height)
    failures.extend(f"{name}: console: {line}" for line in console)
    width, png_height, rows = browser.read_png(png)
    if (width, png_height) != (WIDTH, height):
        failures.append(f"{name}: screenshot is {width} x {png_height}, asked for {WIDTH} x {height}")
    for chart in page["charts"]:
        check_chart(name, chart, rows, failures)

    phone = browser.probe_phone(html_path, PHONE_WIDTH)
    failures.extend(f"{name} (phone): {e}" for e in phone["errors"])
    if phone["scroll_width"] > PHONE_WIDTH:
        failures.append(f"{name}: {phone['scroll_width']} px wide on a {PHONE_WIDTH} px phone: scrolls sideways")
    for chart in phone["charts"]:
        if not 0.8 * PHONE_WIDTH < chart["width"] <= PHONE_WIDTH:
            failures.append(f"{name} (phone): {chart['kind']} chart is {chart['width']:.0f} px wide")
    print(f"{name}: {len(page['charts'])} charts; screenshot {png} ({WIDTH} x {height}); "
          f"{len(failures)} failure(s)")
    return failures


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--screenshots", required=True)
    parser.add_argument("reports", nargs="+")
    args = parser.parse_args()
    Path(args.screenshots).mkdir(parents=True, exist_ok=True)
    passed = failed = 0
    for report in args.reports:
        try:
            failures = check_report(report, args.screenshots)
        except browser.BrowserError as e:  # Chromium missing or unable to start: a failure, never a skip
            failures = [f"{Path(report).name}: {e}"]
        for failure in failures:
            print("FAIL:", failure, file=sys.stderr)
        passed, failed = passed + (not failures), failed + bool(failures)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
