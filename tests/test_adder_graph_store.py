"""Adder graphs: the coefficient arrays, and solved graphs kept on disk between processes."""

import numpy as np
import pytest

from rtl4ml.hw import adder_graph, graph_store, solve_batch
from rtl4ml.hw.adder_graph import AdderGraph, AddNode, Ref, build_adder_graph, csd_graph

pytest.importorskip("da4ml")


@pytest.mark.parametrize("shape,limit", [((12, 6), 2**7), ((5, 4), 2**20)])
def test_coefficient_arrays_equal_the_exact_integers(shape, limit):
    w = np.random.default_rng(3).integers(-limit, limit, shape)
    for g in (csd_graph(w), adder_graph.da4ml_graph(w, -512, 511)):
        assert g.coefficient_matrix() is not None
        assert g.coefficients() == g.coefficients(exact=True)
        assert g.mismatch(w) is None


def test_coefficients_beyond_62_bits_use_exact_integers():
    # x0 * 2**40 + x0 * 2**-30: 71 bits between the terms' lowest and highest
    g = AdderGraph(1, (AddNode(Ref(0, 40), Ref(0, -30)),), (Ref(1),), "csd")
    assert g.coefficient_matrix() is None
    assert g.coefficients()[1] == ([2**70 + 1], -30)
    near = AdderGraph(1, (AddNode(Ref(0, 59), Ref(0, 0)),), (Ref(1),), "csd")  # 2**59 + 1: 60 bits, fits
    assert near.coefficient_matrix() is not None and near.coefficients() == near.coefficients(exact=True)
    assert near.mismatch(np.array([[2**59 + 1]])) is None and near.mismatch(np.array([[2**59]])) is not None


def test_bit_lengths_are_exact_next_to_powers_of_two():
    values = np.array([0, 1, 2, 3, 2**49 - 1, 2**49, 2**53 - 1, 2**53 + 1, 2**62 - 1, 2**62, 2**63 - 1], dtype=np.int64)
    assert adder_graph._bit_lengths(values).tolist() == [int(v).bit_length() for v in values.tolist()]


def test_a_wrong_graph_is_named():
    w = np.array([[3, 1], [0, 2]])
    g = csd_graph(w)
    assert g.mismatch(w) is None
    assert "output 1" in g.mismatch(np.array([[3, 1], [0, 5]]))
    assert "2 x 2" in g.mismatch(np.zeros((3, 2), dtype=np.int64))
    with pytest.raises(AssertionError, match="output 0"):
        g.check(np.array([[4, 1], [0, 2]]))


@pytest.fixture(autouse=True)
def new_process():
    """Each test starts as a new process would: no graph solved in memory."""
    solve_batch.forget()
    yield
    solve_batch.forget()


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv(graph_store.ENV, str(tmp_path))
    monkeypatch.setattr(graph_store, "SOLVE_SECONDS_WORTH_STORING", 0.0)
    return tmp_path / "adder-graphs"


W = np.random.default_rng(7).integers(-100, 100, (10, 6))


def _solves(monkeypatch) -> list:
    calls = []
    real = adder_graph.da4ml_graph

    def counted(*args):
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(adder_graph, "da4ml_graph", counted)
    return calls


def test_a_solved_graph_is_read_back_instead_of_solved_again(store, monkeypatch):
    solves = _solves(monkeypatch)
    first = build_adder_graph(W, -64, 63, "da4ml")
    assert len(solves) == 1 and len(list(store.glob("*.npz"))) == 1
    assert build_adder_graph(W, -64, 63, "da4ml") is first  # this process remembers it
    solve_batch.forget()  # as in a new process
    again = build_adder_graph(W, -64, 63, "da4ml")
    assert len(solves) == 1  # read from the folder
    assert again is not first and again.nodes == first.nodes and again.outputs == first.outputs
    build_adder_graph(W, -128, 127, "da4ml")  # another input range: another solution
    assert len(solves) == 2 and len(list(store.glob("*.npz"))) == 2


def _bad_refs(path, damage: str) -> None:
    """Rewrite the stored graph at ``path`` with one reference out of order."""
    with np.load(path) as f:
        arrays = {k: f[k].copy() for k in f.files}
    if damage == "a node reading a later value":
        arrays["nodes"][0, 0] = arrays["n_in"] + 3
    elif damage == "a negative reference":
        arrays["nodes"][-1, 3] = -1
    else:  # an output past the last value
        arrays["outputs"][0] = [1, arrays["n_in"] + len(arrays["nodes"]), 0, 0]
    with open(path, "wb") as f:
        np.savez(f, **arrays)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "another matrix", "a node reading a later value",
                                    "a negative reference", "an output past the end"])
def test_a_damaged_or_foreign_file_is_solved_again(store, monkeypatch, damage):
    build_adder_graph(W, -64, 63, "da4ml")
    (path,) = store.glob("*.npz")
    if damage == "garbage":
        path.write_bytes(b"not a graph")
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[:200])
    elif damage != "another matrix":
        _bad_refs(path, damage)
        assert graph_store.load_graph(path.stem, "da4ml") is None
    else:  # a valid graph of other weights under this matrix's name
        key = graph_store.graph_key(W + 1, -64, 63, adder_graph.solver_settings(W + 1))
        graph_store.save_graph(key, adder_graph.da4ml_graph(W + 1, -64, 63))
        path.write_bytes((store / f"{key}.npz").read_bytes())
    solve_batch.forget()  # as in a new process
    solves = _solves(monkeypatch)
    g = build_adder_graph(W, -64, 63, "da4ml")
    assert len(solves) == 1 and g.mismatch(W) is None
    assert graph_store.load_graph(path.stem, "da4ml").mismatch(W) is None  # rewritten


@pytest.mark.parametrize("value", ["off", ""])
def test_the_store_can_be_turned_off(tmp_path, monkeypatch, value):
    monkeypatch.setenv(graph_store.ENV, value)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)  # "off" read as a folder would land here
    monkeypatch.setattr(graph_store, "SOLVE_SECONDS_WORTH_STORING", 0.0)
    assert graph_store.store_dir() is None
    build_adder_graph(W, -64, 63, "da4ml")
    assert not list(tmp_path.rglob("*.npz"))


def test_a_quick_solve_is_not_stored(tmp_path, monkeypatch):
    monkeypatch.setenv(graph_store.ENV, str(tmp_path))
    monkeypatch.setattr(graph_store, "SOLVE_SECONDS_WORTH_STORING", 1e9)
    build_adder_graph(W, -64, 63, "da4ml")
    assert not list(tmp_path.rglob("*.npz"))


def test_a_folder_that_cannot_be_written_is_left_alone(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(graph_store.ENV, str(blocker))  # adder-graphs would be inside a file
    monkeypatch.setattr(graph_store, "SOLVE_SECONDS_WORTH_STORING", 0.0)
    assert build_adder_graph(W, -64, 63, "da4ml").mismatch(W) is None


def test_the_default_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv(graph_store.ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert graph_store.store_dir() == tmp_path / "rtl4ml" / "adder-graphs"
