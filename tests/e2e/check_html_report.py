"""The HTML report parsed as a document and checked against the JSON runs it shows: well-formed,
nothing external, per scenario the latency, speedup, roofline and load charts (or the note that
replaces one), each chart valid SVG, the table with a row per result, and the run's command line.

usage: check_html_report.py REPORT.html RUN.json [RUN.json ...]
"""
import json
import re
import sys
import xml.etree.ElementTree as ElementTree
from html.parser import HTMLParser

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
SVG_NAMESPACE = "http://www.w3.org/2000/svg"


class Document(HTMLParser):
    """Tags checked for nesting; sections, charts, table rows and text collected."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.problems, self.text = [], [], []
        self.charts = {}  # section id -> chart kinds in order
        self.notes = {}   # section id -> note texts
        self.rows = 0
        self.section = None
        self.tags = set()
        self.in_tbody = self.in_note = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.add(tag)
        for key, value in attrs:
            if key in ("src", "href") or (key != "xmlns" and value and "//" in value):
                self.problems.append(f"<{tag} {key}=\"{value}\"> refers to something outside the file")
        if tag == "section" and attributes.get("class") == "scenario":
            self.section = attributes["id"]
            self.charts[self.section], self.notes[self.section] = [], []
        if tag == "svg" and "chart" in attributes.get("class", ""):
            self.charts[self.section].append(attributes.get("data-chart"))
        if tag == "tbody":
            self.in_tbody = True
        if tag == "tr" and self.in_tbody:
            self.rows += 1
        if tag == "p" and attributes.get("class") == "note" and self.section:
            self.in_note = True
            self.notes[self.section].append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.add(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes <{self.stack[-1] if self.stack else 'nothing'}>")
            return
        self.stack.pop()
        if tag == "section":
            self.section = None
        if tag == "tbody":
            self.in_tbody = False
        if tag == "p":
            self.in_note = False

    def handle_data(self, data):
        self.text.append(data)
        if self.in_note:
            self.notes[self.section][-1] += data


def expected_charts(runs, scenario):
    """The chart kinds the report must draw for a scenario: speedup only where a case ran both
    implementations, roofline only where a row has one."""
    cases = [c for run in runs for c in run["cases"] if c["scenario"] == scenario]
    both = any({r["implementation"] for r in c["rows"]} == {"fused", "epmoe"} for c in cases)
    roofline = any(r["pct_of_roofline"] is not None for c in cases for r in c["rows"])
    return ["latency"] + (["speedup"] if both else []) + (["roofline"] if roofline else []) + ["loads"]


def check(html_path, json_paths):
    problems = []
    source = open(html_path, encoding="utf-8").read()
    runs = [json.load(open(p, encoding="utf-8")) for p in json_paths]
    doc = Document()
    doc.feed(source)
    doc.close()
    problems += doc.problems
    if doc.stack:
        problems.append(f"unclosed at the end: {doc.stack}")
    for tag in ("script", "link", "img", "iframe", "object"):
        if tag in doc.tags:
            problems.append(f"the report has a <{tag}>: it must be self-contained")
    if "Content-Security-Policy" not in source:
        problems.append("no Content-Security-Policy: nothing should ever be fetched")

    scenarios = list(dict.fromkeys(c["scenario"] for run in runs for c in run["cases"]))
    if list(doc.charts) != [f"scenario-{s}" for s in scenarios]:
        problems.append(f"sections {list(doc.charts)}, expected one per scenario {scenarios}")
    for scenario in scenarios:
        section = f"scenario-{scenario}"
        kinds = expected_charts(runs, scenario)
        drawn = doc.charts.get(section, [])
        if [k for k in drawn if k != "loads"] != [k for k in kinds if k != "loads"] or "loads" not in drawn:
            problems.append(f"{section}: charts {drawn}, expected {kinds}")
        if "speedup" not in kinds and not any("no speedup to draw" in n for n in doc.notes.get(section, [])):
            problems.append(f"{section}: one implementation, but no note saying there is no speedup")

    total_rows = sum(len(c["rows"]) for run in runs for c in run["cases"])
    if doc.rows != total_rows:
        problems.append(f"the table has {doc.rows} rows, the runs {total_rows}")
    text = "".join(doc.text)
    for run in runs:
        if run["command_line"] not in text:
            problems.append(f"the command line is not shown as text: {run['command_line']}")

    for number, svg in enumerate(re.findall(r'<svg class="chart".*?</svg>', source, re.S)):
        try:
            root = ElementTree.fromstring(svg)
        except ElementTree.ParseError as e:
            problems.append(f"chart {number} is not well-formed SVG: {e}")
            continue
        if root.tag != f"{{{SVG_NAMESPACE}}}svg" or root.get("viewBox") is None:
            problems.append(f"chart {number}: not an SVG root with a viewBox")
    return problems


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(sys.argv[1], sys.argv[2:])
    for p in problems:
        print(f"FAIL: {sys.argv[1]}: {p}", file=sys.stderr)
    print(f"{sys.argv[1]}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
    print(f"{0 if problems else 1} passed, {1 if problems else 0} failed")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
