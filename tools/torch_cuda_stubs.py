#!/usr/bin/env python3
"""Empty stand-ins for the CUDA libraries of a CUDA build of PyTorch, so that it imports and runs
on the CPU without them.

Usage: torch_cuda_stubs.py SITE_PACKAGES

PyPI's Linux torch wheel links its CPU libraries against CUDA ones (libtorch_cpu.so needs
libcudart and libcupti; libtorch.so needs libtorch_cuda.so, which needs cuBLAS, cuDNN, NCCL, ...),
and declares them as ~2.3 GiB of pip dependencies. Nothing on the CPU calls them: they only have
to be found when the libraries load. For each CUDA library that torch/lib asks for and does not
ship, this writes a small shared library of that name holding every symbol torch takes from it,
into SITE_PACKAGES/nvidia/cu13/lib, a folder in the RPATH of every torch library (so the stand-ins
win over any CUDA toolkit on the machine, and no environment variable is needed).

Each function returns 100 (cudaErrorNoDevice, so torch.cuda.is_available() is simply False), and
the ones that name an error return a string saying that CUDA is absent. The symbol versions the
libraries are linked against (libcudart.so.13, NVSHMEM, ...) are kept: the loader checks them.
"""
import pathlib
import re
import subprocess
import sys
import tempfile

# Libraries of the C runtime and the compiler, which every machine has; libcuda (the driver) is
# opened only when a GPU is used.
SYSTEM_LIBRARIES = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libutil.so.1",
                    "libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2", "libcuda.so.1"}
# Unversioned symbols: which library they come from, by name prefix (longest first).
OWNER_BY_PREFIX = [("cusparseLt", "libcusparseLt"), ("cuFile", "libcufile"), ("nccl", "libnccl"),
                   ("nvshmem", "libnvshmem_host")]
STUB_FOLDER = "nvidia/cu13/lib"
NO_CUDA = "CUDA is not available: this is a CPU-only stand-in (tools/torch_cuda_stubs.py)"


def readelf(args, path):
    return subprocess.run(["readelf", "-W", *args, str(path)], capture_output=True, text=True, check=True).stdout


def torch_libraries(torch_dir):
    """The shared objects of the torch package that the import loads."""
    return sorted((torch_dir / "lib").glob("*.so")) + sorted(torch_dir.glob("_C*.so"))


def needed_and_undefined(libraries):
    """The libraries they ask for, and their undefined symbols as (name, type, version)."""
    needed, undefined = set(), []
    for library in libraries:
        needed |= set(re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", readelf(["-d"], library)))
        for line in readelf(["--dyn-syms"], library).splitlines():
            fields = line.split()
            if len(fields) >= 8 and fields[0].endswith(":") and fields[6] == "UND" and fields[7]:
                name, _, version = fields[7].partition("@")
                undefined.append((name, fields[3], version.lstrip("@")))
    return needed, undefined


def owner_of(name, version, stub_names):
    if version in stub_names:
        return version
    for prefix, stem in OWNER_BY_PREFIX:
        if name.startswith(prefix) or version.lower().startswith(prefix.lower()):
            return next((s for s in stub_names if s.startswith(stem + ".so")), None)
    return None


def stub_source(symbols):
    lines = [f'static const char no_cuda[] = "{NO_CUDA}";']
    for name, kind in sorted(symbols.items()):
        if kind == "OBJECT":
            lines.append(f"char {name}[256];")
        elif re.search(r"(Error|Status)(String|Name)$", name):
            lines.append(f"const char *{name}(void) {{ return no_cuda; }}")
        else:
            lines.append(f"long {name}(void) {{ return 100; }}")
    return "\n".join(lines) + "\n"


def build_stub(soname, symbols, versions, out_dir, scratch):
    source = scratch / (soname + ".c")
    source.write_text(stub_source(symbols))
    command = ["cc", "-shared", "-fPIC", "-O1", "-w", "-o", str(out_dir / soname), f"-Wl,-soname,{soname}",
               str(source)]
    if versions:
        if len(versions) > 1:
            raise SystemExit(f"torch_cuda_stubs: {soname} is asked for under several versions: {sorted(versions)}")
        script = scratch / (soname + ".map")
        script.write_text(f"{versions.pop()} {{ global: *; }};\n")
        command.append(f"-Wl,--version-script={script}")
    subprocess.run(command, check=True)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    site_packages = pathlib.Path(sys.argv[1])
    torch_dir = site_packages / "torch"
    shipped = {p.name for p in (torch_dir / "lib").iterdir()}
    needed, undefined = needed_and_undefined(torch_libraries(torch_dir))
    stub_names = sorted(n for n in needed if n not in shipped and n not in SYSTEM_LIBRARIES)
    symbols = {n: {} for n in stub_names}
    versions = {n: set() for n in stub_names}
    for name, kind, version in undefined:
        owner = owner_of(name, version, stub_names)
        if owner:
            symbols[owner][name] = kind
            if version:
                versions[owner].add(version)
    out_dir = site_packages / STUB_FOLDER
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        for soname in stub_names:
            build_stub(soname, symbols[soname], versions[soname], out_dir, pathlib.Path(scratch))
    print(f"torch_cuda_stubs: {len(stub_names)} stand-ins in {out_dir}: " +
          ", ".join(f"{n} ({len(symbols[n])})" for n in stub_names))


if __name__ == "__main__":
    main()
