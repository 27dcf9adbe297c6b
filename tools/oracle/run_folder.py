"""Reading a run saved with --save-tensors: config.json and its _moebench part, the case files in
order, and each case's tensors and metadata (docs/oracle.md, "The saved run")."""
import dataclasses
import json
import pathlib
import re

import safetensors
import safetensors.torch

from .bad_input import BadInput

FP8 = "fp8-b128"
TOLERANCE = {"bf16": 1e-2, FP8: 3e-2}  # by _moebench.dtype
CASE_TENSORS = ("x", "router_logits", "topk_ids")  # what every case file must hold


@dataclasses.dataclass
class Run:
    folder: pathlib.Path
    config: dict  # config.json as saved
    description: dict  # its "_moebench" part

    @property
    def dtype(self):
        return self.description.get("dtype", "bf16")

    @property
    def tolerance(self):
        return TOLERANCE[self.dtype]

    @property
    def weights_path(self):
        return self.folder / "weights.safetensors"


def read_json(path):
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BadInput(f"{path} does not exist") from None
    except (OSError, ValueError) as error:
        raise BadInput(f"{path} is not readable JSON: {error}") from None


def load_run(folder):
    if not folder.is_dir():
        raise BadInput(f"{folder} is not a folder")
    config = read_json(folder / "config.json")
    description = config.get("_moebench")
    if not isinstance(description, dict):
        raise BadInput(f"{folder / 'config.json'} has no _moebench section: not written by --save-tensors")
    if not (folder / "weights.safetensors").is_file():
        raise BadInput(f"{folder / 'weights.safetensors'} does not exist")
    run = Run(folder, config, description)
    if run.dtype not in TOLERANCE:
        raise BadInput(f"{folder / 'config.json'}: _moebench.dtype {run.dtype!r} is none the oracle knows "
                       f"({', '.join(TOLERANCE)})")
    return run


def case_order(path):
    """(scenario, T) from case_{scenario}_T{T}.safetensors; other names by name."""
    match = re.fullmatch(r"case_(.+)_T(\d+)\.safetensors", path.name)
    return (match.group(1), int(match.group(2))) if match else (path.name, 0)


def case_files(run):
    files = list(run.folder.glob("case_*.safetensors"))
    if not files:
        raise BadInput(f"{run.folder} holds no case_*.safetensors")
    return sorted(files, key=case_order)


def read_case(path):
    """(tensors by name, metadata) of one case file."""
    case = safetensors.torch.load_file(str(path))
    with safetensors.safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    for name in CASE_TENSORS:
        if name not in case:
            raise BadInput(f"{path} has no tensor {name}")
    return case, metadata


def scenario_name(path, metadata):
    """The case's scenario: its metadata's, else the one in its file name."""
    return metadata.get("scenario") or re.sub(r"^case_|_T\d+\.safetensors$", "", path.name)
