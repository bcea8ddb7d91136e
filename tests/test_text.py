"""Text input: entries cut or padded as the official language code does, the vocabulary built
from the training text and saved with a run, and batches of character ids from the sources."""

import json

import numpy as np
import pytest
import tensorflow_datasets as tfds

from wgan_jax.configs import wgan_gp_language
from wgan_jax.config import base_config
from wgan_jax.data import DataError, pipeline, resident, sources
from wgan_jax.data.text import PAD, UNK, Vocabulary, fit_length, read_entries, split_entries


def _text_config(**overrides):
  config = base_config().data
  config.update(dict(source="text", seq_len=8, max_vocab_size=2048, **overrides))
  return config


def test_entries_are_cut_or_padded_to_the_sequence_length():
  assert fit_length("abc", 5) == "abc" + PAD * 2
  assert fit_length("abcdefgh", 5) == "abcde"
  assert fit_length("abcde", 5) == "abcde"


def test_the_vocabulary_orders_characters_by_frequency_after_unknown():
  vocabulary = Vocabulary.build(["aab", "ba", "c"], seq_len=3)
  # Counts over the padded entries "aab", "ba`", "c``": a 3, ` 3, b 2, c 1; ties keep the
  # order of first appearance.
  assert vocabulary.symbols == (UNK, "a", PAD, "b", "c")
  small = Vocabulary.build(["aab", "ba", "c"], seq_len=3, max_size=3)
  assert small.symbols == (UNK, "a", PAD)
  ids = small.encode(["abc", "zz"])
  np.testing.assert_array_equal(ids, [[1, 0, 0], [0, 0, 2]])  # b, c and z unknown
  assert ids.dtype == np.int32
  assert small.decode(ids) == ["a" + UNK + UNK, UNK + UNK + PAD]
  assert small.decode(ids, strip_padding=True)[1] == UNK + UNK


def test_encoding_round_trips_through_the_saved_vocabulary(tmp_path):
  entries = ["hello world", "héllo", "a much longer entry than eight"]
  vocabulary = Vocabulary.build(entries, seq_len=8)
  path = tmp_path / "vocabulary.json"
  path.write_text(vocabulary.to_json())
  loaded = Vocabulary.load(path)
  assert loaded == vocabulary and json.loads(path.read_text())["seq_len"] == 8
  assert loaded.decode(vocabulary.encode(entries), strip_padding=True) == [
      "hello wo", "héllo", "a much l"]
  with pytest.raises(ValueError, match="unknown symbol"):
    Vocabulary(("a", "b"), 4)


def test_entries_split_by_lines_or_by_separator_lines():
  assert split_entries("one\n\n two \nthree\n", "line") == ["one", "two", "three"]
  assert split_entries("tabs\tand  runs of   spaces", "line") == ["tabs and runs of spaces"]
  fortunes = "First line\n  of one.\n%\nSecond.\n%\n%\nThird\n"
  assert split_entries(fortunes, "%") == ["First line of one.", "Second.", "Third"]


def test_a_folder_of_text_files_is_read_in_path_order(tmp_path):
  (tmp_path / "b.txt").write_text("b1\nb2\n")
  (tmp_path / "a").mkdir()
  (tmp_path / "a" / "x.txt").write_bytes("a1\ncafé\n".encode())
  (tmp_path / ".hidden").write_bytes(b"\xff never read\n")
  assert read_entries(str(tmp_path)) == ["a1", "café", "b1", "b2"]
  assert read_entries(str(tmp_path), max_entries=3) == ["a1", "café", "b1"]
  assert read_entries(str(tmp_path / "b.txt")) == ["b1", "b2"]
  with pytest.raises(DataError, match="does not exist"):
    read_entries(str(tmp_path / "missing"))
  (tmp_path / "empty").mkdir()
  with pytest.raises(DataError, match="No text entries"):
    read_entries(str(tmp_path / "empty"))


def test_text_that_does_not_decode_or_is_binary_is_refused_naming_the_file(tmp_path):
  latin = tmp_path / "latin.txt"
  latin.write_bytes("caf\xe9 au lait\n".encode("latin-1"))
  with pytest.raises(DataError, match=r"latin\.txt is not utf-8 text: byte 3 .*"
                     r"--config\.data\.encoding \(for example latin-1\)"):
    read_entries(str(latin))
  assert read_entries(str(latin), encoding="latin-1") == ["café au lait"]
  noise = tmp_path / "noise.bin"
  noise.write_bytes(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
  with pytest.raises(DataError, match=r"noise\.bin looks like binary data"):
    read_entries(str(noise), encoding="latin-1")  # decodes, but is not text
  with pytest.raises(DataError, match="not utf-8 text"):
    read_entries(str(noise))
  with pytest.raises(DataError, match="Unknown text encoding 'klingon'"):
    read_entries(str(latin), encoding="klingon")


def test_text_source_batches_character_ids(tmp_path):
  (tmp_path / "corpus.txt").write_text("\n".join(f"sentence number {i}" for i in range(40)))
  source = sources.make_source(_text_config(path=str(tmp_path / "corpus.txt")), seed=0)
  assert source.vocabulary is not None and source.num_examples == 40
  example = pipeline.peek(source)
  assert pipeline.check_example_shape(example, _text_config(), "", source.vocabulary) == (
      8, len(source.vocabulary))
  group = next(pipeline.make_pipeline(source, _text_config(), per_device_batch=4,
                                      local_devices=2, n_critic=3, seed=0))
  assert group["x"].shape == (2, 3, 4, 8) and group["x"].dtype == np.int32
  arrays = pipeline.load_resident(source, _text_config())
  assert not resident.holds_pixels(arrays, _text_config()) and arrays["x"].dtype == np.int32
  assert source.vocabulary.decode(arrays["x"][:1]) == ["sentence"]
  with pytest.raises(DataError, match="data.path"):
    sources.make_source(_text_config(path=""), seed=0)


def test_the_billion_word_source_reads_tfds_text():
  config = wgan_gp_language.get_config().data
  with tfds.testing.mock_data(num_examples=12):
    source = sources.make_source(config, seed=0)
  assert source.arrays["x"].shape == (12, 32) and source.vocabulary.seq_len == 32
  assert "lm1b" in source.description
  config.tfds_data_dir = "/nonexistent"
  with pytest.raises(DataError, match="source=text"):
    sources.make_source(config, seed=0)
