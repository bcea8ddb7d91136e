"""The package as a wheel user meets it: one top-level name, and every command runs from the
installed wheel outside the checkout."""

import json
import os
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest
from PIL import Image

REPO = __import__("pathlib").Path(__file__).resolve().parents[1]
# What the wheel is built from (the rest of the repository is not packaged).
SOURCES = ("setup.cfg", "pyproject.toml", "README.md", "wgan_jax", "configs")

pytestmark = pytest.mark.slow  # builds and installs a wheel, trains in subprocesses


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
  """The wheel built from a copy of the sources (the checkout is left as it was)."""
  source = tmp_path_factory.mktemp("source")
  for name in SOURCES:
    path = REPO / name
    if path.is_dir():
      shutil.copytree(path, source / name,
                      ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"))
    else:
      shutil.copy(path, source / name)
  out = tmp_path_factory.mktemp("wheel")
  subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                  "--no-build-isolation", "-w", str(out), str(source)], check=True, timeout=600)
  (path,) = out.glob("wgan_jax-*.whl")
  return path


def test_the_wheel_installs_one_top_level_name(wheel):
  with zipfile.ZipFile(wheel) as archive:
    names = archive.namelist()
    entry_points = archive.read(next(n for n in names if n.endswith("entry_points.txt")))
  assert {n.split("/")[0] for n in names} == {"wgan_jax", wheel.name.split("-py3")[0] +
                                              ".dist-info"}
  assert "wgan_jax/configs/default.py" in names  # the configs, under the package's namespace
  assert "wgan_jax/metrics/data/mnist_classifier.npz" in names
  assert not any(n.startswith(("configs/", "benchmarks/", "scripts/", "tests/")) for n in names)
  assert b"wgan-train = wgan_jax.commands.train:run" in entry_points


def test_the_installed_wheel_trains_and_samples_outside_the_checkout(wheel, tmp_path):
  target, work = tmp_path / "site", tmp_path / "elsewhere"
  work.mkdir()
  subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                  str(target), str(wheel)], check=True, timeout=600)
  environment = {**os.environ, "PYTHONPATH": str(target)}

  def run(*args):
    result = subprocess.run([sys.executable, *args], cwd=work, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout

  where = run("-c", "import wgan_jax, wgan_jax.configs; print(wgan_jax.__file__); "
                    "print(wgan_jax.configs.__file__)").split()
  assert all(path.startswith(str(target)) for path in where), where  # not the checkout's copy
  assert "--workdir" in run("-m", "wgan_jax.train", "--help")
  run("-m", "wgan_jax.train", "--config", "default", "--workdir", "run",
      "--config.num_steps=4", "--config.log_every=2", "--config.sample_every=4",
      "--config.checkpoint_every=4", "--config.eval.num_samples=200")
  rows = [json.loads(line) for line in (work / "run" / "metrics.jsonl").read_text().splitlines()]
  assert [row["step"] for row in rows] == [2, 4] and "w1" in rows[-1]
  run("-m", "wgan_jax.sample", "--workdir", "run", "--num", "16", "--out", "samples.npz")
  with np.load(work / "samples.npz") as samples:
    assert samples["samples"].shape == (16, 2)
  run(str(target / "bin" / "wgan-sample"), "--workdir", "run", "--num", "16",
      "--out", "samples.png")
  assert Image.open(work / "samples.png").size[0] > 0
