#!/usr/bin/env python3
"""Builds (or reuses) the virtual environment that tools/check_with_transformers.py runs in for
the tests: PyTorch (CPU use) and transformers, pinned in tools/oracle_requirements.txt.

Usage: oracle_venv.py VENV_DIR

Reused as it is when its stamp (the requirements, the stand-in generator and this Python's
version) matches and torch and transformers import; otherwise built again from scratch. Every
package is installed with --no-deps, then tools/torch_cuda_stubs.py gives torch's CUDA libraries
empty stand-ins (the wheel's CUDA dependencies are not installed). Needs PyPI and a C compiler.
"""
import hashlib
import pathlib
import shutil
import subprocess
import sys
import time

TOOLS = pathlib.Path(__file__).resolve().parent
REQUIREMENTS = TOOLS / "oracle_requirements.txt"
STUB_GENERATOR = TOOLS / "torch_cuda_stubs.py"
STAMP_NAME = "moebench-oracle.stamp"
SMOKE_TEST = ("import torch, transformers; a = torch.randn(64, 64, dtype=torch.float64); "
              "assert torch.allclose(a @ torch.eye(64, dtype=torch.float64), a); "
              "assert not torch.cuda.is_available(); "
              "print('oracle_venv: torch', torch.__version__, 'transformers', transformers.__version__)")


def stamp_text():
    digest = hashlib.sha256()
    for path in (REQUIREMENTS, STUB_GENERATOR):
        digest.update(path.read_bytes())
    return f"{digest.hexdigest()} python {sys.version.split()[0]}\n"


def venv_python(venv):
    return venv / "bin" / "python"


def is_current(venv):
    stamp = venv / STAMP_NAME
    if not stamp.is_file() or stamp.read_text() != stamp_text():
        return False
    return subprocess.run([venv_python(venv), "-c", SMOKE_TEST]).returncode == 0


def site_packages(venv):
    found = list((venv / "lib").glob("python3*/site-packages"))
    if len(found) != 1:
        raise SystemExit(f"oracle_venv: expected one site-packages folder under {venv / 'lib'}, found {found}")
    return found[0]


def folder_size_mib(path):
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def build(venv):
    start = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([venv_python(venv), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "--only-binary", ":all:", "-r", str(REQUIREMENTS)], check=True)
    installed = time.monotonic()
    subprocess.run([venv_python(venv), str(STUB_GENERATOR), str(site_packages(venv))], check=True)
    subprocess.run([venv_python(venv), "-c", SMOKE_TEST], check=True)
    (venv / STAMP_NAME).write_text(stamp_text())
    print(f"oracle_venv: built {venv} in {time.monotonic() - start:.0f} s (pip {installed - start:.0f} s), "
          f"{folder_size_mib(venv):.0f} MiB")


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    venv = pathlib.Path(sys.argv[1]).resolve()
    if is_current(venv):
        print(f"oracle_venv: reusing {venv}")
        return
    build(venv)


if __name__ == "__main__":
    main()
