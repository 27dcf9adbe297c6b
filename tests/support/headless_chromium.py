"""Headless Chromium for the report tests: page probes, screenshots and PNG pixels.

Every call starts a fresh Chromium (new profile directory, no network services) under
`timeout 60`. Used by tests/e2e/check_html_render.py; run directly, it screenshots a page at its
full height:  python3 tests/support/headless_chromium.py REPORT.html OUT.png [--width 1100]
"""
import argparse
import json
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from pathlib import Path

# --disable-dev-shm-usage: containers often give /dev/shm 64 MiB, too little for a tall page.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--enable-logging=stderr", "--v=0"]
TIMEOUT_S = 60

# Injected into a copy of the page (never the original): records load errors and policy
# violations, then measures the document and every chart once the page has loaded.
PROBE = """<script>
window.__probeErrors = [];
addEventListener('error', e => __probeErrors.push('error: ' + (e.message || (e.target && e.target.outerHTML))), true);
document.addEventListener('securitypolicyviolation', e => __probeErrors.push('blocked: ' + e.blockedURI));
const __consoleError = console.error;
console.error = (...args) => { __probeErrors.push('console.error: ' + args.join(' ')); __consoleError(...args); };
addEventListener('load', () => {
  const charts = [...document.querySelectorAll('svg.chart')].map(svg => {
    const r = svg.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    return {kind: svg.dataset.chart, x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height,
            viewbox_width: vb.width, viewbox_height: vb.height,
            marks: svg.querySelectorAll('circle, rect, path, polyline, polygon, line').length,
            texts: svg.querySelectorAll('text').length};
  });
  const result = {errors: __probeErrors, charts, inner_width: innerWidth,
                  scroll_width: document.documentElement.scrollWidth,
                  scroll_height: document.documentElement.scrollHeight,
                  tables: document.querySelectorAll('table').length};
  if (parent !== window) parent.postMessage(result, '*');
  const out = document.createElement('pre');
  out.id = 'probe-result';
  out.hidden = true;
  out.textContent = JSON.stringify(result);
  document.body.appendChild(out);
});
</script>"""

# A phone-wide viewport: headless windows are at least 500 px wide, an iframe can be narrower.
PHONE_FRAME = """<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">
<iframe src="probe.html" style="width:{width}px;height:900px;border:0"></iframe>
<pre id="frame-result"></pre>
<script>addEventListener('message', e => {{ document.getElementById('frame-result').textContent = JSON.stringify(e.data); }});</script>
</body></html>"""


class BrowserError(Exception):
    pass


def chromium_binary():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    raise BrowserError("chromium is not installed: scripts/install_deps.sh installs Debian's chromium package")


def run_chromium(url, *args):
    """Runs Chromium once on `url`; returns (stdout, stderr)."""
    with tempfile.TemporaryDirectory(prefix="moebench-chromium-") as profile:
        command = ["timeout", str(TIMEOUT_S), chromium_binary(), *FLAGS, f"--user-data-dir={profile}", *args, url]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S + 15)
        except subprocess.TimeoutExpired:
            raise BrowserError(f"chromium did not finish within {TIMEOUT_S} s on {url}")
    if done.returncode != 0:
        raise BrowserError(f"chromium exited {done.returncode} on {url}:\n{done.stderr[-3000:]}")
    return done.stdout, done.stderr


def console_messages(stderr):
    """Console lines Chromium logged for the page: a report with no scripts should log none."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def _probe_copy(html_path, directory):
    """A copy of the page with PROBE first in <head>, its policy widened to let PROBE run."""
    text = Path(html_path).read_text(encoding="utf-8")
    text = text.replace("default-src 'none'", "default-src 'none'; script-src 'unsafe-inline'", 1)
    text = text.replace("<head>", "<head>\n" + PROBE, 1)
    probe = Path(directory) / "probe.html"
    probe.write_text(text, encoding="utf-8")
    return probe


def _result(dom, element_id):
    match = re.search(rf'<pre id="{element_id}"[^>]*>(.*?)</pre>', dom, re.S)
    if not match or not match.group(1).strip():
        raise BrowserError(f"the page probe wrote no result (#{element_id} missing from the DOM)")
    text = match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
    return json.loads(text)


def probe_page(html_path, width=1200):
    """Loads a probe copy of the page at `width` CSS pixels; returns what PROBE measured."""
    with tempfile.TemporaryDirectory(prefix="moebench-probe-") as directory:
        probe = _probe_copy(html_path, directory)
        dom, _ = run_chromium(probe.as_uri(), "--dump-dom", f"--window-size={width},900")
    return _result(dom, "probe-result")


def probe_phone(html_path, width=360):
    """Loads a probe copy of the page in a `width`-pixel-wide frame; returns what PROBE measured."""
    with tempfile.TemporaryDirectory(prefix="moebench-phone-") as directory:
        _probe_copy(html_path, directory)
        frame = Path(directory) / "frame.html"
        frame.write_text(PHONE_FRAME.format(width=width), encoding="utf-8")
        dom, _ = run_chromium(frame.as_uri(), "--dump-dom", "--window-size=800,1000", "--virtual-time-budget=5000")
    return _result(dom, "frame-result")


def screenshot(html_path, png_path, width, height):
    """Screenshots the unmodified page; returns Chromium's console lines for it."""
    _, stderr = run_chromium(Path(html_path).resolve().as_uri(), f"--screenshot={Path(png_path).resolve()}",
                             f"--window-size={width},{height}")
    if not Path(png_path).exists():
        raise BrowserError(f"chromium wrote no screenshot {png_path}:\n{stderr[-3000:]}")
    return console_messages(stderr)


def read_png(path):
    """(width, height, rows): rows of (r, g, b) byte triples; 8-bit RGB or RGBA, not interlaced."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise BrowserError(f"{path} is not a PNG")
    position, chunks = 8, []
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
    if depth != 8 or color not in (2, 6) or interlace:
        raise BrowserError(f"{path}: unsupported PNG (depth {depth}, colour type {color}, interlace {interlace})")
    channels = 3 if color == 2 else 4
    stride = width * channels
    raw = zlib.decompress(b"".join(chunks))
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, channels)
        rows.append(bytes(line) if channels == 3 else bytes(b for i, b in enumerate(line) if i % 4 != 3))
        previous = line
    return width, height, rows


def _unfilter(kind, line, previous, bpp):
    if kind == 1:
        for i in range(bpp, len(line)):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line = bytearray((a + b) & 255 for a, b in zip(line, previous))
    elif kind == 3:
        for i in range(len(line)):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + (left + previous[i]) // 2) & 255
    elif kind == 4:
        for i in range(len(line)):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    return line


def full_page_screenshot(html_path, png_path, width):
    """Screenshots the whole page at `width`; returns (probe result, console lines)."""
    page = probe_page(html_path, width)
    return page, screenshot(html_path, png_path, width, min(page["scroll_height"], 16000))


def main():
    parser = argparse.ArgumentParser(description="Screenshot an HTML report at its full height.")
    parser.add_argument("html")
    parser.add_argument("png")
    parser.add_argument("--width", type=int, default=1100)
    args = parser.parse_args()
    page, console = full_page_screenshot(args.html, args.png, args.width)
    for line in console + page["errors"]:
        print(line, file=sys.stderr)
    print(f"{args.png}: {args.width} x {page['scroll_height']}, {len(page['charts'])} chart(s)")
    return 1 if console or page["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
