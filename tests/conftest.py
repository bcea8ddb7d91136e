"""Test set-up: four simulated CPU devices (for the data-parallel tests), no GPU for TF, and
one persistent XLA compilation cache for the whole session.

Many tests build the same tiny programs again (every `train()` call traces a fresh step, and
the multi-process and resume tests start new interpreters); the cache, inherited by the
subprocesses through the environment, compiles each distinct program once. It is removed at
the end; set JAX_COMPILATION_CACHE_DIR yourself to keep one between sessions.
"""

import os
import shutil
import tempfile

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=4")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
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
