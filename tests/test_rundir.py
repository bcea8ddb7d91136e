import json
import os

import pytest

from wgan_jax.configs import default as default_config
from wgan_jax import rundir


def test_lock_is_exclusive_names_its_holder_and_is_released(tmp_path):
  with rundir.WorkdirLock(str(tmp_path)) as lock:
    assert lock.stale_holder is None
    with pytest.raises(rundir.WorkdirBusyError, match=rf"pid {os.getpid()} on .*--workdir"):
      rundir.WorkdirLock(str(tmp_path)).__enter__()
  with rundir.WorkdirLock(str(tmp_path)) as again:  # released on exit
    assert again.stale_holder is None


def test_lock_left_by_a_dead_trainer_is_taken_over_and_reported(tmp_path):
  (tmp_path / rundir.LOCK_FILE).write_text(
      json.dumps({"host": "node7", "pid": 4242, "since": "2026-01-01T00:00:00+00:00"}))
  with rundir.WorkdirLock(str(tmp_path)) as lock:
    assert lock.stale_holder.startswith("pid 4242 on node7")
    holder = json.loads((tmp_path / rundir.LOCK_FILE).read_text())
    assert holder["pid"] == os.getpid()
  assert (tmp_path / rundir.LOCK_FILE).read_text() == ""


def test_a_deleted_lock_file_lets_no_second_trainer_in(tmp_path):
  with rundir.WorkdirLock(str(tmp_path)) as lock:
    os.remove(lock.path)  # users delete *.lock files they think stale
    with pytest.raises(rundir.WorkdirBusyError, match="in use by another trainer"):
      rundir.WorkdirLock(str(tmp_path)).__enter__()
    lock.check()  # still the owner; the holder's name is put back
    assert json.loads((tmp_path / rundir.LOCK_FILE).read_text())["pid"] == os.getpid()


def test_a_trainer_whose_directory_was_moved_is_no_longer_its_owner(tmp_path):
  run = tmp_path / "run"
  run.mkdir()
  with rundir.WorkdirLock(str(run)) as lock:
    run.rename(tmp_path / "moved")
    run.mkdir()  # a new directory at the old path
    with pytest.raises(rundir.LockLostError, match="no longer the directory this trainer locked"):
      lock.check()
  assert isinstance(rundir.LockLostError("x"), rundir.WorkdirBusyError)  # exit code 4


def test_config_changes_ignore_run_length_logging_and_newer_keys():
  config = default_config.get_config()
  saved = json.loads(config.to_json_best_effort())
  config.num_steps, config.log_every, config.eval.every = 99, 7, 3
  del saved["data"]["verify_images"]  # an option newer than the saved run
  assert rundir.config_changes(saved, config) == {}
  config.data.name, config.optimizer.critic.learning_rate = "25gaussians", 1e-3
  assert rundir.config_changes(saved, config) == {
      "data.name": ("8gaussians", "25gaussians"),
      "optimizer.critic.learning_rate": (1e-4, 1e-3)}
  with pytest.raises(rundir.ConfigChangedError, match=r"(?s)data\.name: '8gaussians' -> "
                     r"'25gaussians'.*new --workdir.*--allow_config_change"):
    rundir.refuse_changes("runs/x", rundir.config_changes(saved, config))


def test_trim_metrics_drops_rows_after_the_restored_step_and_a_torn_line(tmp_path):
  rows = [json.dumps({"step": s, "critic_loss": -s}) for s in (1, 2, 3, 4)]
  (tmp_path / rundir.METRICS_FILE).write_text("\n".join(rows) + '\n{"step": 5, "crit')
  assert rundir.trim_metrics(str(tmp_path), 2) == 3
  kept = (tmp_path / rundir.METRICS_FILE).read_text().splitlines()
  assert [json.loads(line)["step"] for line in kept] == [1, 2]
  assert rundir.trim_metrics(str(tmp_path), 2) == 0
  assert rundir.trim_metrics(str(tmp_path / "nowhere"), 0) == 0


def test_a_workdir_that_cannot_hold_a_run_is_named(tmp_path):
  with pytest.raises(rundir.RunDirError, match="--workdir is empty"):
    rundir.prepare("")
  (tmp_path / "file").write_text("x")
  with pytest.raises(rundir.RunDirError, match="is a file, not a directory"):
    rundir.prepare(str(tmp_path / "file"))
  with pytest.raises(rundir.RunDirError, match="file/run cannot be written"):
    rundir.prepare(str(tmp_path / "file" / "run"))  # its parent is a file: nothing can be made
  rundir.prepare(str(tmp_path / "new" / "run"))
  assert os.listdir(tmp_path / "new" / "run") == []  # the write probe is gone


def test_each_start_records_the_training_revision_and_a_torn_line_is_skipped(tmp_path):
  rundir.record(str(tmp_path), "start", 0)
  rundir.record(str(tmp_path), "resume", 10)
  with open(tmp_path / rundir.HISTORY_FILE, "a") as f:
    f.write('{"event": "resu')  # a crash mid-write
  assert rundir.training_revisions(str(tmp_path)) == [rundir.TRAINING_REVISION] * 2
  assert rundir.training_revisions(str(tmp_path / "absent")) == []


def test_outcome_settings_leave_out_cadence_and_data_location_only():
  from wgan_jax.config import base_config
  settings = rundir.outcome_settings(base_config())
  assert not rundir.OUTCOME_FREE_KEYS & set(settings)
  assert {"num_steps", "seed", "eval.num_samples", "eval.sample_statistics",
          "data.source"} <= set(settings)
