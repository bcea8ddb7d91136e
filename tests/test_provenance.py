"""Figures record what made them, and the stale check finds every one the code would draw anew.

The committed figures are checked here against the list of stale ones docs/reproduction/README.md
declares, so a change to a config or a training revision that makes a figure stale fails until
the figure is redrawn or declared stale.
"""

import copy
import json
import pathlib
import re

import pytest

from wgan_jax import paper, rundir
from wgan_jax.commands import reproduce
from wgan_jax.paper import provenance

REPO = pathlib.Path(__file__).resolve().parents[1]


def _declared_stale() -> set[str]:
  """The figure files docs/reproduction/README.md's "Stale figures" section lists."""
  text = (REPO / "docs" / "reproduction" / "README.md").read_text()
  section = text.split("## Stale figures", 1)[1].split("\n## ", 1)[0]
  return set(re.findall(r"^- `(docs/figures/[^`]+\.json)`", section, flags=re.M))


def test_the_committed_figures_are_current_or_declared_stale(monkeypatch):
  monkeypatch.chdir(REPO)
  stale = provenance.stale_figures("docs/figures")
  assert set(stale) == _declared_stale(), {
      path: reasons for path, reasons in stale.items() if path not in _declared_stale()}


def _drawn(name: str, labels, quick: bool = False, revision=None) -> dict:
  """The provenance of figure `name` drawing runs `labels` (none trained: each as if by this
  process, or with `revision` as its recorded training revision)."""
  fig = paper.figure(name).get_config()
  for label in labels:
    provenance.note_run(fig, label)
  data = {"provenance": provenance.record(fig, quick)}
  if revision is not None:
    for run in data["provenance"]["runs"].values():
      run["training_revision"] = revision
  return json.loads(json.dumps(data))  # as read back from the file


def test_a_figure_as_the_code_draws_it_now_is_current():
  data = _drawn("wgan_fig3", ("wgan_mlp_g", "wgan_dcgan", "wgan_mlp"))
  made = data["provenance"]
  assert made["item"] == "wgan_fig3" and made["training_revision"] == rundir.TRAINING_REVISION
  assert set(made["runs"]) == {"wgan_mlp_g", "wgan_dcgan", "wgan_mlp"}
  assert {"package", "commit", "jax", "machine", "date"} <= set(made)
  # Each run's settings as their differences from the library's defaults, recorded once.
  assert made["runs"]["wgan_mlp"]["settings"]["constraint.kind"] == "clip"
  assert "seed" not in made["runs"]["wgan_mlp"]["settings"]
  assert provenance.stale_reasons(data) == []


def test_a_changed_run_setting_is_named():
  data = _drawn("wgan_fig3", ("wgan_mlp_g", "wgan_dcgan", "wgan_mlp"))
  data["provenance"]["runs"]["wgan_dcgan"]["settings"]["n_critic"] = 3
  assert provenance.stale_reasons(data) == ["run wgan_dcgan: n_critic: 3 -> 5"]


def test_an_older_training_revision_makes_every_run_stale():
  data = _drawn("wgan_fig4", ("gan_mlp_g", "gan_dcgan", "gan_mlp"), revision=1)
  reasons = provenance.stale_reasons(data)
  assert len(reasons) == 3 and all("training revision 1" in r for r in reasons)
  data = _drawn("wgan_fig4", ("gan_mlp_g", "gan_dcgan", "gan_mlp"), revision=None)
  data["provenance"]["runs"]["gan_mlp"]["training_revision"] = None  # not recorded
  assert provenance.stale_reasons(data) == [
      f"run gan_mlp was trained by training revision None, the code trains as revision "
      f"{rundir.TRAINING_REVISION}"]


def test_cadence_data_location_and_new_options_at_their_defaults_do_not_count():
  data = _drawn("wgan_fig6", ("wgan_dcgan_nobn", "gan_dcgan_nobn"))
  made = data["provenance"]
  run = made["runs"]["wgan_dcgan_nobn"]["settings"]
  assert "log_every" not in run and "eval.every" not in run  # never recorded
  # A figure drawn before the library had `ema` and `augment`: their keys were not there.
  for key in [k for k in made["run_defaults"] if k.startswith("ema.")] + ["augment"]:
    del made["run_defaults"][key]
  assert provenance.stale_reasons(data) == []
  # An option that was there and is gone, or is new and not at its default, counts.
  made["run_defaults"]["generator_batch_multiple"] = 2
  assert provenance.stale_reasons(data) == [
      "run gan_dcgan_nobn: generator_batch_multiple: 2 -> 1",
      "run wgan_dcgan_nobn: generator_batch_multiple: 2 -> 1"]


def test_added_dropped_and_undrawn_runs_are_named():
  data = _drawn("wgan_fig3", ("wgan_mlp_g", "wgan_dcgan"))
  assert provenance.stale_reasons(data) == ["run wgan_mlp is in the config but not in the figure"]
  data = _drawn("wgan_fig3", ("wgan_mlp_g", "wgan_dcgan", "wgan_mlp"))
  data["provenance"]["runs"]["wgan_lost"] = copy.deepcopy(data["provenance"]["runs"]["wgan_mlp"])
  assert provenance.stale_reasons(data) == ["run wgan_lost is no longer in the config"]


def test_overrides_are_applied_again_before_comparing():
  fig = paper.figure("wgangp_fig2").get_config()
  fig.num_steps, fig.architectures, fig.methods = 2000, ("dcgan",), ("wgan", "wgan-gp")
  for label in ("dcgan-wgan", "dcgan-wgan-gp"):
    provenance.note_run(fig, label)
  data = json.loads(json.dumps({"provenance": provenance.record(fig, False)}))
  # The runs follow the figure's num_steps: only the figure's keys were changed.
  assert data["provenance"]["overrides"] == {
      "num_steps": 2000, "architectures": ["dcgan"], "methods": ["wgan", "wgan-gp"]}
  assert provenance.stale_reasons(data) == []
  data["provenance"]["overrides"]["num_steps"] = 1000  # the runs were 2,000 iterations long
  reasons = provenance.stale_reasons(data)
  assert "run dcgan-wgan: num_steps: 2000 -> 1000" in reasons


def test_a_figure_that_stopped_before_saving_leaves_nothing_in_the_next_record():
  stopped = paper.figure("wgan_fig3").get_config()
  provenance.note_run(stopped, "wgan_mlp")  # its make raised before saving
  again = paper.figure("wgan_fig3").get_config()
  provenance.note_run(again, "wgan_dcgan")
  assert list(provenance.record(again, False)["runs"]) == ["wgan_dcgan"]


def test_a_figure_without_provenance_is_stale():
  assert provenance.stale_reasons({"name": "wgan_fig3"}) == [
      "no provenance: drawn before figures recorded what made them"]


def test_the_toy_figures_record_their_settings_and_revision():
  fig = paper.figure("wgan_fig1").get_config()
  data = json.loads(json.dumps({"provenance": provenance.record(fig, True)}))
  assert data["provenance"]["runs"] == {} and "steps" in data["provenance"]["settings"]
  assert provenance.stale_reasons(data) == []
  data["provenance"]["settings"]["steps"] = 7
  data["provenance"]["training_revision"] = 1
  assert provenance.stale_reasons(data) == [
      "figure setting steps: 7 -> 2000",
      f"drawn by training revision 1, the code trains as revision {rundir.TRAINING_REVISION}"]


def test_the_command_lists_stale_figures_and_exits_1(tmp_path, capsys):
  data = _drawn("wgan_fig3", ("wgan_mlp_g", "wgan_dcgan", "wgan_mlp"))
  data["provenance"]["runs"]["wgan_mlp"]["settings"]["batch_size"] = 32
  (tmp_path / "wgan_fig3.json").write_text(json.dumps(data))
  assert reproduce.main(["reproduce", "--stale", "--out", str(tmp_path)]) == 1
  out = capsys.readouterr().out
  assert f"{tmp_path}/wgan_fig3.json: stale\n  run wgan_mlp: batch_size: 32 -> 64" in out
  assert f"{tmp_path}/wgan_fig1.json: stale\n  not drawn" in out


def test_the_command_exits_0_when_every_figure_is_current(monkeypatch, capsys):
  monkeypatch.setattr(provenance, "stale_figures", lambda out: {})
  assert reproduce.main(["reproduce", "--stale"]) == 0
  assert "are current" in capsys.readouterr().out


def test_stale_takes_no_figure_names():
  assert reproduce.main(["reproduce", "--stale", "wgan_fig3"]) == 2


@pytest.mark.parametrize("history, older", [
    ([1, 2], True), ([2], False), ([None, 2], False), ([], False)])
def test_a_run_is_retrained_only_when_known_to_be_older(tmp_path, history, older):
  from wgan_jax.paper import runs
  (tmp_path / rundir.HISTORY_FILE).write_text("".join(
      json.dumps({"event": "start", **({} if r is None else {"training_revision": r})}) + "\n"
      for r in history))
  assert runs.older_revision(str(tmp_path)) is older
