"""Benchmarks and measurement scripts; `torch_peer` is the PyTorch peer the benchmark times."""
