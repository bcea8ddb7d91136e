"""Files written for the user (pictures, samples, results, run files): whole or not at all.

`written_whole(path)` gives a temporary path beside `path` and renames it into place only once
the writer returns, so a full disk or a kill never leaves a truncated or empty file under the
final name; a write that fails raises `OutputError` naming the file and the cause.
"""

from __future__ import annotations

import contextlib
import errno
import os
from typing import Iterator

CAUSES = {errno.ENOSPC: "the disk is full", errno.EDQUOT: "the disk quota is exceeded",
          errno.EACCES: "permission denied", errno.EPERM: "permission denied",
          errno.EROFS: "the file system is read-only"}


class OutputError(RuntimeError):
  """An output could not be written (a full disk, a read-only file system, permissions);
  nothing partial is left under its name."""


def cause(error: BaseException | None) -> str:
  """`error` with what its errno means, when known."""
  if error is None:
    return ""
  known = CAUSES.get(getattr(error, "errno", None))
  return f"{error}" + (f" ({known})" if known else "")


@contextlib.contextmanager
def written_whole(path: str) -> Iterator[str]:
  """Yields a temporary path (with `path`'s suffix, so writers pick the same format) that
  replaces `path` when the block ends without an error."""
  directory, name = os.path.split(os.path.abspath(path))
  suffix = os.path.splitext(name)[1]
  temporary = os.path.join(directory, f".{name}.tmp-{os.getpid()}{suffix}")
  try:
    yield temporary
    os.replace(temporary, path)
  except OSError as error:
    raise OutputError(f"Could not write {path}: {cause(error)}.") from error
  finally:
    if os.path.exists(temporary):
      os.remove(temporary)
