"""The figure scripts run end to end at a tiny size and write their picture and data."""

import json
import os
import subprocess
import sys

import pytest

from tests.test_train import REPO
from wgan_jax import paper

pytestmark = pytest.mark.slow  # figures and the reproduce script

TOY_FIGURES = ("wgan_fig1", "wgan_fig2", "wgangp_fig1a", "wgangp_fig1b")


def _tiny(name):
  c = paper.figure(name).get_config()
  with c.unlocked():
    c.quick_steps, c.critic_width, c.batch_size = 3, 16, 32
    if name == "wgangp_fig1b":
      c.critic_depth = 4
  return c


@pytest.mark.parametrize("name", TOY_FIGURES)
def test_figure_writes_png_and_json(name, tmp_path):
  data = paper.figure(name).make(_tiny(name), str(tmp_path), quick=True)
  assert (tmp_path / f"{name}.png").stat().st_size > 0
  assert json.loads((tmp_path / f"{name}.json").read_text())["quick"] is True
  if name == "wgan_fig1":
    assert [r["theta"] for r in data["rows"]] == [-1.0, -0.5, 0.0, 0.5, 1.0]
    assert data["rows"][0]["em_exact"] == 1.0
  if name == "wgangp_fig1b":
    assert all(len(v["grad_norms"]) == 4 + 1 for v in data["curves"].values())
    assert data["clipped_weights_at_bound_share"] > 0


def test_reproduce_script_rejects_unknown_names():
  result = subprocess.run([sys.executable, str(REPO / "scripts" / "reproduce.py"), "fig9"],
                          capture_output=True, text=True, timeout=120, cwd=REPO)
  assert result.returncode == 2 and "wgangp_fig1a" in result.stderr


def test_data_path_gives_each_item_its_kind(tmp_path):
  from wgan_jax.commands import reproduce

  paths = reproduce.data_paths(f"mnist_idx={tmp_path}/mnist, text={tmp_path}/fortunes")
  assert paths == {"mnist_idx": f"{tmp_path}/mnist", "text": f"{tmp_path}/fortunes"}
  mnist, cifar, text = (paper.figure(n).get_config()
                        for n in ("wgan_fig3", "wgangp_fig3", "wgangp_language"))
  assert reproduce.item_data_path(paths, mnist) == f"{tmp_path}/mnist"
  assert reproduce.item_data_path(paths, cifar) == ""  # no path of its kind: TFDS
  assert reproduce.item_data_path(paths, text) == f"{tmp_path}/fortunes"
  toy = paper.figure("seed_spread_toy").get_config()  # generated data: no path applies
  assert reproduce.item_data_path(paths, toy) == reproduce.item_data_path("/data", toy) == ""
  one = reproduce.data_paths("relative/dir")  # one path serves every item, made absolute
  assert reproduce.item_data_path(one, cifar) == os.path.abspath("relative/dir")
  with pytest.raises(ValueError, match="mnist_idx, image_folder, text"):
    reproduce.data_paths("cifar=/tmp/cifar10")
