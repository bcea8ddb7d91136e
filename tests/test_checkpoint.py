import os

import jax.numpy as jnp
import numpy as np

from wgan_jax.checkpoint import Checkpointer

STATE = {"w": np.arange(3, dtype=np.float32)}


def test_a_checkpoint_carries_the_config_it_was_saved_with(tmp_path):
  checkpointer = Checkpointer(str(tmp_path), async_save=False)
  checkpointer.save(1, STATE, {"seed": 3, "model": {"width": [8, 8]}})
  checkpointer.save(2, STATE)  # as trainers before configs were saved with checkpoints
  checkpointer.close()
  reader = Checkpointer(str(tmp_path), read_only=True)
  assert reader.saved_config(1) == {"seed": 3, "model": {"width": [8, 8]}}
  assert reader.saved_config() is None  # the newest, step 2, has none
  np.testing.assert_array_equal(reader.restore({"w": jnp.zeros(3)}, 1)["w"], STATE["w"])
  reader.close()


def test_unfinished_saves_go_when_a_writer_opens_and_stay_for_a_reader(tmp_path):
  checkpointer = Checkpointer(str(tmp_path), async_save=False)
  checkpointer.save(1, STATE)
  checkpointer.close()
  unfinished = tmp_path / "2.orbax-checkpoint-tmp-1234"
  unfinished.mkdir()
  Checkpointer(str(tmp_path), read_only=True).close()
  assert unfinished.exists()
  writer = Checkpointer(str(tmp_path))
  assert not unfinished.exists() and writer.all_steps() == [1]
  writer.close()
  assert sorted(os.listdir(tmp_path)) == ["1"]


def _two_steps(tmp_path):
  checkpointer = Checkpointer(str(tmp_path), async_save=False)
  checkpointer.save(1, STATE)
  checkpointer.save(2, {"w": STATE["w"] + 1})
  checkpointer.close()
  return Checkpointer(str(tmp_path), read_only=True)


def test_damaged_checkpoint_files_are_refused_naming_the_folder_to_delete(tmp_path):
  import pytest

  from wgan_jax.checkpoint import CheckpointDamagedError
  from wgan_jax.errors import RunDirError
  reader = _two_steps(tmp_path)
  for data in (tmp_path / "2" / "default").rglob("d/*"):
    if data.is_file():
      data.write_bytes(data.read_bytes()[:10])  # truncated
  with pytest.raises(CheckpointDamagedError, match=r"step 2 cannot be read .*" + str(tmp_path / "2")
                     + r" are missing or damaged\. Delete that folder .*\(steps 1\)"):
    reader.restore({"w": jnp.zeros(3)})
  assert issubclass(CheckpointDamagedError, RunDirError)  # exit code 2, one line
  (tmp_path / "1" / "default" / "_METADATA").write_text("garbage")
  with pytest.raises(CheckpointDamagedError, match="step 1 cannot be read"):
    reader.restore({"w": jnp.zeros(3)}, 1)


def test_a_reader_takes_the_newest_complete_checkpoint_when_one_vanishes_under_it(tmp_path):
  import shutil
  reader = _two_steps(tmp_path)
  assert reader.latest_step() == 2
  shutil.rmtree(tmp_path / "2")  # a trainer pruning old checkpoints beside this reader
  np.testing.assert_array_equal(reader.restore({"w": jnp.zeros(3)})["w"], STATE["w"])
