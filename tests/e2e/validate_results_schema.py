"""Real runs' JSON against docs/results_schema.json (JSON Schema draft 2020-12, Python's
jsonschema), plus what a schema cannot say: loads that add up, rows that belong to their case.
Broken copies of the first file must fail, so the schema is known not to accept anything.

usage: validate_results_schema.py SCHEMA.json RUN.json [RUN.json ...]
"""
import copy
import json
import sys

try:
    import jsonschema
except ImportError:
    print("FAIL: Python's jsonschema is missing: scripts/install_deps.sh installs it", file=sys.stderr)
    sys.exit(1)


def consistency_problems(run):
    problems = []
    for i, case in enumerate(run["cases"]):
        where = f"cases[{i}]"
        top_k = run["model"]["num_experts_per_tok"]
        if sum(case["expert_loads"]) != case["num_tokens"] * top_k:
            problems.append(f"{where}: expert_loads add up to {sum(case['expert_loads'])}, not tokens * top-k")
        if len(case["expert_loads"]) != run["model"]["num_experts"]:
            problems.append(f"{where}: {len(case['expert_loads'])} expert loads for {run['model']['num_experts']} experts")
        for j, row in enumerate(case["rows"]):
            if (row["scenario"], row["num_tokens"]) != (case["scenario"], case["num_tokens"]):
                problems.append(f"{where}.rows[{j}] belongs to another case")
            if (row["max_load"], row["min_load"]) != (max(case["expert_loads"]), min(case["expert_loads"])):
                problems.append(f"{where}.rows[{j}]: max/min load differ from expert_loads")
            if row["latency_count"] != run["timing"]["benchmark_iters"]:
                problems.append(f"{where}.rows[{j}]: {row['latency_count']} iterations, timing says "
                                f"{run['timing']['benchmark_iters']}")
    if len(run["cases"]) > run["cases_planned"]:
        problems.append("more cases than planned")
    return problems


def broken_copies(run):
    """Documents the schema must refuse, each with what is wrong with it."""
    def edit(description, change):
        document = copy.deepcopy(run)
        change(document)
        return description, document
    return [
        edit("schema_version 6", lambda d: d.update(schema_version=6)),
        edit("timing without l2_flush", lambda d: d["timing"].pop("l2_flush")),
        edit("an unknown l2_flush", lambda d: d["timing"].update(l2_flush="memset")),
        edit("peaks without fp8_tflops", lambda d: d["peaks"].pop("fp8_tflops")),
        edit("peaks without link_gbps", lambda d: d["peaks"].pop("link_gbps")),
        edit("a row without comm_bytes", lambda d: d["cases"][0]["rows"][0].pop("comm_bytes")),
        edit("a fractional comm_bytes", lambda d: d["cases"][0]["rows"][0].update(comm_bytes=1.5)),
        edit("an unknown dtype", lambda d: d["cases"][0]["rows"][0].update(dtype="int8")),
        edit("a row without beyond_peak", lambda d: d["cases"][0]["rows"][0].pop("beyond_peak")),
        edit("an unknown peak beaten", lambda d: d["cases"][0]["rows"][0].update(beyond_peak="latency")),
        edit("another program", lambda d: d.update(program="other")),
        edit("a row without latency_mean_ms", lambda d: d["cases"][0]["rows"][0].pop("latency_mean_ms")),
        edit("an undocumented key", lambda d: d.update(extra=1)),
        edit("a latency as text", lambda d: d["cases"][0]["rows"][0].update(latency_p95_ms="1.0")),
        edit("an unknown scenario", lambda d: d["cases"][0].update(scenario="skewed")),
        edit("a negative expert load", lambda d: d["cases"][0]["expert_loads"].__setitem__(0, -1)),
        edit("no devices", lambda d: d.update(devices=[])),
    ]


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    passed = failed = 0
    for path in sys.argv[2:]:
        run = json.load(open(path, encoding="utf-8"))
        problems = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(run)]
        problems += consistency_problems(run)
        if not run["cases"]:
            problems.append("no cases: the test runs should have finished")
        for p in problems:
            print(f"FAIL: {path}: {p}", file=sys.stderr)
        passed, failed = passed + (not problems), failed + bool(problems)
        print(f"{path}: {len(run['cases'])} case(s), {'valid' if not problems else 'INVALID'}")
    first = json.load(open(sys.argv[2], encoding="utf-8"))
    for description, document in broken_copies(first):
        accepted = validator.is_valid(document)
        if accepted:
            print(f"FAIL: the schema accepts {description}", file=sys.stderr)
        passed, failed = passed + (not accepted), failed + accepted
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
