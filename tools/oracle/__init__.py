"""The transformers oracle's parts (docs/oracle.md); tools/check_with_transformers.py is its command line.

run_folder: a saved run's files; families: which transformers block and config; weight_naming:
each naming's (gate, up, down); fp8: dequantized weights and emulated activation quantization;
block: the block built, filled and routed on the saved logits; compare: errors and printed lines;
check: one run, case by case. Each raises bad_input.BadInput for a run it cannot check.
"""
