"""Text as fixed-length character ids, prepared as the WGAN-GP language code prepares sentences.

Each entry (a sentence, a line, or a block between separator lines) is cut to `seq_len`
characters or padded with `PAD`; the vocabulary is built from the training entries, most
frequent character first (padding included, as it is a character of the padded lines), with
`UNK` (id 0) standing for every character beyond `max_size - 1`. The vocabulary is saved with a
run (`vocabulary.json`) so sampling and evaluation decode exactly as training encoded.
NumPy only: no TensorFlow.
"""

from __future__ import annotations

import collections
import dataclasses
import json
import os
import pathlib
from typing import Iterable, Sequence

import numpy as np

from wgan_jax.data import DataError

UNK = "\N{REPLACEMENT CHARACTER}"  # id 0: a character the vocabulary left out
PAD = "`"  # fills entries shorter than seq_len, as in the official code
VOCABULARY_FILE = "vocabulary.json"


@dataclasses.dataclass(frozen=True)
class Vocabulary:
  """Characters by id (`symbols[0]` is `UNK`) and the length every entry is cut or padded to."""

  symbols: tuple[str, ...]
  seq_len: int

  def __post_init__(self):
    if not self.symbols or self.symbols[0] != UNK:
      raise ValueError("A vocabulary starts with the unknown symbol.")
    object.__setattr__(self, "_index", {s: i for i, s in enumerate(self.symbols)})

  def __len__(self) -> int:
    return len(self.symbols)

  @classmethod
  def build(cls, entries: Iterable[str], seq_len: int, max_size: int = 2048) -> "Vocabulary":
    """The `max_size - 1` most frequent characters of the padded entries, after `UNK`.

    Ties keep the order of first appearance, so the same text gives the same ids.
    """
    if max_size < 2:
      raise ValueError(f"max_vocab_size={max_size}: a vocabulary needs at least 2 symbols.")
    counts = collections.Counter()
    for entry in entries:
      counts.update(fit_length(entry, seq_len))
    counts.pop(UNK, None)
    return cls((UNK, *(char for char, _ in counts.most_common(max_size - 1))), seq_len)

  def encode(self, entries: Sequence[str]) -> np.ndarray:
    """int32 ids `[len(entries), seq_len]`; characters outside the vocabulary become `UNK`."""
    ids = np.zeros((len(entries), self.seq_len), np.int32)
    for row, entry in enumerate(entries):
      ids[row] = [self._index.get(char, 0) for char in fit_length(entry, self.seq_len)]
    return ids

  def decode(self, ids: np.ndarray, strip_padding: bool = False) -> list[str]:
    """Strings from ids `[N, seq_len]`; `strip_padding` drops trailing `PAD` characters."""
    texts = ["".join(self.symbols[i] for i in row) for row in np.asarray(ids)]
    return [t.rstrip(PAD) for t in texts] if strip_padding else texts

  def to_json(self) -> str:
    return json.dumps({"seq_len": self.seq_len, "symbols": list(self.symbols)},
                      ensure_ascii=False)

  @classmethod
  def load(cls, path: str | os.PathLike) -> "Vocabulary":
    saved = json.loads(pathlib.Path(path).read_text())
    return cls(tuple(saved["symbols"]), int(saved["seq_len"]))


def fit_length(entry: str, seq_len: int) -> str:
  """`entry` cut to `seq_len` characters or padded with `PAD` to it."""
  return entry[:seq_len] + PAD * max(0, seq_len - len(entry))


def split_entries(text: str, separator: str) -> list[str]:
  """Entries of a text: every non-empty line (`separator='line'`), or the blocks between lines
  that hold only `separator` (e.g. '%' in fortune files). Runs of whitespace (a block's line
  breaks, tabs) become one space."""
  if separator == "line":
    blocks = [[line] for line in text.splitlines()]
  else:
    blocks, block = [], []
    for line in text.splitlines():
      if line.strip() == separator:
        blocks.append(block)
        block = []
      else:
        block.append(line)
    blocks.append(block)
  entries = (" ".join(" ".join(block).split()) for block in blocks)
  return [entry for entry in entries if entry]


def read_entries(path: str, separator: str = "line", max_entries: int = 0,
                 encoding: str = "utf-8") -> list[str]:
  """Entries from a text file or from every file below a folder (sorted by path; hidden files
  skipped), decoded as `encoding`. A file that does not decode, or that looks like binary data,
  is refused naming it. `max_entries` > 0 keeps the first that many."""
  root = pathlib.Path(path)
  if root.is_dir():
    files = sorted(p for p in root.rglob("*") if p.is_file()
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
  elif root.is_file():
    files = [root]
  else:
    raise DataError(f"The text path {path} does not exist.")
  entries: list[str] = []
  for file in files:
    entries.extend(split_entries(decode_text(file, encoding), separator))
    if max_entries and len(entries) >= max_entries:
      return entries[:max_entries]
  if not entries:
    raise DataError(f"No text entries found in {path} (separator {separator!r}).")
  return entries


# Text has few control characters (the English corpus here: at most 0.1%, old backspace
# underlining); binary data decoded as a one-byte encoding has about 13%.
MAX_CONTROL_SHARE = 0.02


def decode_text(file: pathlib.Path, encoding: str = "utf-8") -> str:
  """`file` decoded as `encoding`; refuses bytes that do not decode and binary data."""
  raw = file.read_bytes()
  try:
    text = raw.decode(encoding)
  except LookupError:
    raise DataError(f"Unknown text encoding {encoding!r} (--config.data.encoding); use a "
                    f"Python codec name such as utf-8 or latin-1.") from None
  except UnicodeDecodeError as error:
    raise DataError(
        f"{file} is not {encoding} text: byte {error.start} ({raw[error.start:error.start + 4]!r}) "
        f"does not decode. Declare the file's encoding with --config.data.encoding (for example "
        f"latin-1), or leave the file out.") from None
  controls = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\n\r\t\f") or ord(ch) == 127)
  if "\x00" in text or controls > MAX_CONTROL_SHARE * max(len(text), 1):
    raise DataError(f"{file} looks like binary data, not text ({controls} control characters in "
                    f"{len(text)}); leave it out of --config.data.path.")
  return text
