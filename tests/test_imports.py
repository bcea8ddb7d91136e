"""What importing the library pulls in: the core needs no figure code, the step and the
device-resident path no TensorFlow (so they run on machines that lack it)."""

import subprocess
import sys

import pytest


def _modules_after(statement: str) -> set[str]:
  code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
  return set(result.stdout.split())


@pytest.mark.slow
def test_core_imports_no_figure_code_and_the_step_no_tensorflow():
  core = _modules_after("import wgan_jax.train, wgan_jax.builder, wgan_jax.sampling")
  assert not any(name.startswith("wgan_jax.paper") for name in core)
  step_only = _modules_after("import wgan_jax, wgan_jax.builder, wgan_jax.benchmark, "
                             "wgan_jax.data.resident, wgan_jax.data.shapes")
  assert "tensorflow" not in step_only
  assert "matplotlib" not in step_only
