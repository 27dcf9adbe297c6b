#!/usr/bin/env python3
"""tools/check_with_transformers.py on saved runs written by make_fixture.py, whose answers are known.

Usage: test_oracle_fixtures.py TOOL CONFIG_DIR WORK_DIR   (with the oracle venv's Python)

- every family's tiny config, outputs computed with moebench's semantics: exit 0, every case PASS
  and every token's top-k ids equal to transformers' (Llama-4 aside: see below); manual shapes too;
- the negative test: outputs computed with gate and up swapped, a layout bug: exit 1, every case FAIL;
- Llama-4: moebench scales each expert's output by its router weight, transformers scales the
  expert's input (docs/oracle.md): moebench's semantics FAIL, transformers' PASS;
- bad input: a missing folder, a family transformers has no block for (Grok): exit 2.
One process: the tool is imported, so torch and transformers start once.
"""
import contextlib
import importlib.util
import io
import json
import pathlib
import shutil
import sys

import make_fixture

FAILURES = []


def expect(condition, message):
    if not condition:
        FAILURES.append(message)
        print(f"FAILED: {message}", flush=True)


def load_tool(path):
    spec = importlib.util.spec_from_file_location("check_with_transformers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_tool(tool, *run_dirs):
    """(exit code, case lines, stderr) of the tool's main on these folders."""
    out, err = io.StringIO(), io.StringIO()
    sys.argv = ["check_with_transformers.py", *map(str, run_dirs)]
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = tool.main()
    print(out.getvalue() + err.getvalue(), end="", flush=True)
    cases = [line for line in out.getvalue().splitlines() if not line.startswith("#")]
    return status, cases, err.getvalue()


def fixture(config, out_dir, semantics="moebench"):
    shutil.rmtree(out_dir, ignore_errors=True)
    sys.argv = ["make_fixture.py", str(config), str(out_dir), "--semantics", semantics]
    make_fixture.main()
    return out_dir


def check_every_family(tool, configs, work):
    dirs = [fixture(c, work / c.stem) for c in configs if c.stem != "llama4"]
    status, cases, _ = run_tool(tool, *dirs)
    expect(status == 0, f"every family with moebench's semantics: exit {status}, expected 0")
    expect(len(cases) == 3 * len(dirs), f"{len(cases)} case lines for {len(dirs)} runs of 3 cases")
    for line in cases:
        tokens = int(line.split("T=")[1].split()[0])
        expect(line.count("PASS") == 2, f"not PASS twice: {line}")
        expect(f"topk ids match {tokens}/{tokens}" in line, f"top-k ids differ: {line}")


def check_manual_shapes(tool, work):
    """Manual shapes (model_type moebench_manual): Qwen3-MoE's block, gpt-oss's for swigluoai, the
    weights converted from the default naming."""
    dirs = []
    for activation in ("silu", "swigluoai"):
        config = work / f"manual_{activation}.json"
        config.write_text(json.dumps({"model_type": "moebench_manual", "num_experts": 8, "num_experts_per_tok": 2,
                                      "hidden_size": 64, "intermediate_size": 32, "hidden_act": activation}))
        dirs.append(fixture(config, work / config.stem))
    status, cases, _ = run_tool(tool, *dirs)
    expect(status == 0 and len(cases) == 6 and all(line.count("PASS") == 2 for line in cases),
           f"manual shapes: exit {status}, expected 0 with every case PASS")


def check_negative(tool, config_dir, work):
    status, cases, _ = run_tool(tool, fixture(config_dir / "qwen3_moe.json", work / "swapped", "swap_gate_up"))
    expect(status == 1, f"gate and up swapped: exit {status}, expected 1")
    expect(len(cases) == 3 and all(line.count("FAIL") == 2 for line in cases), "gate and up swapped: not all FAIL")


def check_llama4(tool, config_dir, work):
    config = config_dir / "llama4.json"
    status, cases, _ = run_tool(tool, fixture(config, work / "llama4_moebench"))
    expect(status == 1 and all("FAIL" in line for line in cases),
           f"Llama-4 with moebench's output scaling: exit {status}, expected 1 (transformers scales the input)")
    status, cases, _ = run_tool(tool, fixture(config, work / "llama4_input", "llama4_input"))
    expect(status == 0 and all(line.count("PASS") == 2 for line in cases),
           f"Llama-4 with transformers' input scaling: exit {status}, expected 0")


def check_bad_input(tool, config_dir, work):
    status, _, err = run_tool(tool, work / "does_not_exist")
    expect(status == 2 and "is not a folder" in err, f"a missing folder: exit {status}, expected 2")
    grok = fixture(config_dir / "mixtral.json", work / "grok")
    config = json.loads((grok / "config.json").read_text())
    (grok / "config.json").write_text(json.dumps(dict(config, model_type="git")))
    status, _, err = run_tool(tool, grok)
    expect(status == 2 and "no transformers MoE block for model_type 'git'" in err,
           f"model_type git (Grok): exit {status}, expected 2")


def main():
    tool_path, config_dir, work = (pathlib.Path(a) for a in sys.argv[1:4])
    tool = load_tool(tool_path)
    work.mkdir(parents=True, exist_ok=True)
    check_every_family(tool, sorted(config_dir.glob("*.json")), work)
    check_manual_shapes(tool, work)
    check_negative(tool, config_dir, work)
    check_llama4(tool, config_dir, work)
    check_bad_input(tool, config_dir, work)
    print(f"test_oracle_fixtures: {len(FAILURES)} failure(s)")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
