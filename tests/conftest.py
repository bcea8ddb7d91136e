"""Test set-up: four simulated CPU devices (for the data-parallel tests), no GPU for TF, cheap
compilation, and one persistent XLA compilation cache for the whole session.

Compilation, not running, is most of the suite's time: the tiny programs run for milliseconds and
take seconds to compile. `--xla_backend_optimization_level=0` (LLVM without its optimisation
passes) halves that, and the steps still reproduce the metrics recorded at the default level
(tests/test_builder.py, rtol 2e-4).

Many tests build the same tiny programs again (every `train()` call traces a fresh step, and
the multi-process and resume tests start new interpreters); the cache, inherited by the
subprocesses through the environment, compiles each distinct program once. It is removed at
the end; set JAX_COMPILATION_CACHE_DIR yourself to keep one between sessions.
"""

import os
import shutil
import tempfile

import numpy as np
import pytest

TEST_XLA_FLAGS = "--xla_backend_optimization_level=0"
os.environ.setdefault("XLA_FLAGS", f"--xla_force_host_platform_device_count=4 {TEST_XLA_FLAGS}")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
os.environ.setdefault("ALLOW_MULTIPLE_LIBTPU_LOAD", "1")  # both workers may compile for TPU
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")
if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
  _OWN_CACHE = tempfile.mkdtemp(prefix="wgan_jax_xla_cache_")
  os.environ["JAX_COMPILATION_CACHE_DIR"] = _OWN_CACHE
else:
  _OWN_CACHE = None
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


def pytest_sessionfinish(session, exitstatus):
  """Removes the session's compilation cache (about 30 MB after the full suite)."""
  del session, exitstatus
  if _OWN_CACHE:
    shutil.rmtree(_OWN_CACHE, ignore_errors=True)


@pytest.fixture(autouse=True)
def _xla_convolutions_unless_marked(request, monkeypatch):
  """Tests compile their steps with XLA's own convolutions unless marked `default_lowering`.

  They check what a step computes, not how a convolution is lowered, and on CPU the default
  ('auto' -> 'patches', fast to run) is about 3x slower to compile (the tiny DCGAN WGAN-GP
  step: 17.0 s against 5.4 s). The 'patches' lowering is checked against XLA's in
  tests/test_conv.py, and the CPU default runs end to end in the tests marked
  `default_lowering` and in every test that starts a script in a subprocess.
  """
  if request.node.get_closest_marker("default_lowering"):
    return
  from wgan_jax.models import conv
  resolve = conv.resolve_lowering
  monkeypatch.setattr(conv, "resolve_lowering",
                      lambda lowering: resolve("xla" if lowering == "auto" else lowering))


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
  """64 one-channel 16x16 'digits' (a bright square at a random place) as an .npz source, for
  the figure tests (`data_path` with `local_source='npz'`)."""
  rng = np.random.default_rng(0)
  x = np.zeros((64, 16, 16, 1), np.uint8)
  for image, (row, col) in zip(x, rng.integers(0, 10, (64, 2))):
    image[row:row + 6, col:col + 6] = 255
  path = tmp_path_factory.mktemp("data") / "digits.npz"
  np.savez(path, x=x, label=rng.integers(0, 10, 64))
  return str(path)
