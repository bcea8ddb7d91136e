import errno
import os

import pytest

from wgan_jax.outputs import OutputError, written_whole


def test_an_output_is_written_whole_or_not_at_all(tmp_path):
  path = tmp_path / "grid.png"
  path.write_bytes(b"old")
  with pytest.raises(OutputError, match=r"grid\.png: .*No space left.*\(the disk is full\)"):
    with written_whole(str(path)) as temporary:
      assert temporary.endswith(".png")  # writers choose the format by suffix
      with open(temporary, "wb") as f:
        f.write(b"half")
      raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
  assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["grid.png"]
  with written_whole(str(path)) as temporary:
    with open(temporary, "wb") as f:
      f.write(b"new")
  assert path.read_bytes() == b"new" and os.listdir(tmp_path) == ["grid.png"]


def test_sampling_refuses_an_output_it_cannot_write_before_loading_anything(tmp_path, capsys):
  from wgan_jax.commands import common, sample
  missing_run = str(tmp_path / "no_run")  # never read: the output is refused first
  for out, message in ((str(tmp_path / "s.jpg"), "--out must end in .npz, .png"),
                       (str(tmp_path / "no" / "s.png"), "does not exist")):
    assert sample.main(["sample", f"--workdir={missing_run}", f"--out={out}"]) == common.USAGE_ERROR
    assert message in capsys.readouterr().err
