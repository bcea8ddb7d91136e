"""What importing the library pulls in: the core runs without the trainer's packages, needs no
figure code, and changes nothing in the importing process."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from wgan_jax.extras import TRAIN_PACKAGES

CORE = ("wgan_jax", "wgan_jax.step", "wgan_jax.state", "wgan_jax.models", "wgan_jax.models.conv",
        "wgan_jax.lipschitz", "wgan_jax.objectives", "wgan_jax.parallel", "wgan_jax.latent",
        "wgan_jax.optim", "wgan_jax.schedule", "wgan_jax.config", "wgan_jax.builder",
        "wgan_jax.configs.default", "wgan_jax.configs.wgan_gp_cifar", "wgan_jax.data.toy",
        "wgan_jax.data.shapes", "wgan_jax.data.resident", "wgan_jax.benchmark")

# Runs in a fresh interpreter where every package of the `train` extra fails to import, as on
# a machine with `pip install wgan_jax` alone.
_WITHOUT_TRAIN_EXTRA = """
import importlib, importlib.abc, json, sys
blocked = set(sys.argv[1].split(","))

class Absent(importlib.abc.MetaPathFinder):
  def find_spec(self, name, path=None, target=None):
    if name.split(".")[0] in blocked:
      raise ModuleNotFoundError(f"No module named {name!r}", name=name)

sys.meta_path.insert(0, Absent())
results = {}
for module in sys.argv[2:]:
  try:
    importlib.import_module(module)
    results[module] = "ok"
  except ImportError as error:
    results[module] = str(error)
print(json.dumps(results))
"""


def _import_without_train_extra(*modules: str) -> dict[str, str]:
  result = subprocess.run(
      [sys.executable, "-c", _WITHOUT_TRAIN_EXTRA, ",".join(sorted(TRAIN_PACKAGES)), *modules],
      capture_output=True, text=True, timeout=300, check=True)
  return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # a fresh interpreter
def test_the_core_imports_without_the_trainer_packages_and_the_trainer_says_what_to_install():
  results = _import_without_train_extra(*CORE, "wgan_jax.train", "wgan_jax.data.pipeline",
                                        "wgan_jax.paper.wgan_fig1")
  assert {m: results[m] for m in CORE} == {m: "ok" for m in CORE}
  for trainer_module in ("wgan_jax.train", "wgan_jax.data.pipeline", "wgan_jax.paper.wgan_fig1"):
    assert 'pip install "wgan_jax[train]"' in results[trainer_module], results[trainer_module]


def _modules_after(statement: str) -> set[str]:
  code = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True)
  return set(result.stdout.split())


@pytest.mark.slow
def test_the_trainer_imports_no_figure_code():
  core = _modules_after("import wgan_jax.train, wgan_jax.builder, wgan_jax.sampling")
  assert not any(name.startswith("wgan_jax.paper") for name in core)
  assert not any(name.startswith("wgan_jax.commands") for name in core)


@pytest.mark.slow
def test_importing_the_library_leaves_the_process_as_it_was():
  """No matplotlib backend switched, no environment variable set, TensorFlow's devices kept."""
  code = textwrap.dedent("""
      import json, os
      # The packages the library uses change the environment themselves (JAX, TensorFlow,
      # orbax, ...): imported first, so what the library adds is what is compared.
      import jax, matplotlib.pyplot, orbax.checkpoint, ot, tensorflow, tensorflow_datasets
      environment = dict(os.environ)
      import wgan_jax, wgan_jax.train, wgan_jax.aot, wgan_jax.sampling, wgan_jax.paper.runs
      import wgan_jax.paper.wgan_fig3
      changed = sorted(k for k in set(os.environ) | set(environment)
                       if os.environ.get(k) != environment.get(k))
      print(json.dumps({"backend": matplotlib.get_backend(), "changed_environment": changed,
                        "tensorflow_gpus_hidden": wgan_jax.data._tf._hidden}))
  """)
  environment = {**os.environ, "MPLBACKEND": "svg"}  # the user's choice, not the default Agg
  result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=300, check=True, env=environment)
  report = json.loads(result.stdout.strip().splitlines()[-1])
  assert report == {"backend": "svg", "changed_environment": [],
                    "tensorflow_gpus_hidden": False}
