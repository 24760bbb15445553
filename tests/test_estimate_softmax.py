"""The estimator's softmax model: the max tree, the tables (block RAM or logic, the
inverse table read at its index register, exponentials summed in their read's cycle) and
unusual table and result types, checked against what the backend writes and, where marked,
against Yosys."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from hw_models import softmax_layer

import rtl4ml
from rtl4ml.devices import Family
from rtl4ml.estimate import estimate
from rtl4ml.estimate.mapping import cost
from rtl4ml.estimate.structure import Memory, Structure, structure
from rtl4ml.hw import plan
from rtl4ml.ir import Graph, Input, Node, Softmax


def test_a_softmax_finds_its_maximum_with_a_max_pools_compare_and_select() -> None:
    """The backend's max tree is the pool's pairwise ``b > a ? b : a``: per row of 5,
    4 compare-and-selects of the input's bits, costed like a max pool's."""
    graph = Graph([Node("x", Input((2, 5))), Node("s", Softmax(), ("x",))], ["s"], "sm")
    design = rtl4ml.convert(graph, {"model": {"input": "fixed<9,3>", "table_size": 64}})
    (engine,) = plan(design).engines
    parts = structure(engine)
    assert parts.max_bits == 2 * 4 * 9
    assert parts.compare_bits == parts.mux_bits == 10 * engine.output.type.width  # the results' conversion only


# (inputs, type): ECP5 block RAMs Yosys uses. Five fixed<10,5> inputs: four exponentials
# are added in the cycle of their read and the index is clamped (logic before the ROM),
# so only the fifth exp table and the inverse table are block RAMs; four fixed<9,1>: the
# index is a bare slice of a register, but its upper bits are constant and the 64 entries
# it reaches cost less in logic; three fixed<6,2>: every table a block RAM
SOFTMAX_ECP5_BRAM = (((5, "fixed<10,5>"), 2), ((4, "fixed<9,1>"), 1), ((3, "fixed<6,2>"), 4))


def test_a_softmax_table_read_in_its_own_cycle_stays_in_logic_on_ecp5() -> None:
    """A block RAM reads synchronously: a table whose output is also added in the cycle
    of its read becomes one only when its address comes straight from a register, and
    then the block takes that register instead of the output's."""
    for (n, precision), bram in SOFTMAX_ECP5_BRAM:
        row = estimate(*softmax_layer(n, precision), device="ecp5-85", correction=False).iloc[0]
        assert row.bram == bram, (n, precision)


def test_a_softmax_inverse_table_is_counted_from_its_words_read_at_the_index_register() -> None:
    """The backend registers the inverse table's clamped index, so synthesis sees a ROM of
    the words its bits address: 256 words of 18 bits took 66 LUTs on xc7 (Yosys), read at
    a register; its output register is the table's own."""
    graph, config = softmax_layer(2, "fixed<12,1>")
    (engine,) = plan(rtl4ml.convert(graph, config)).engines
    (inverse,) = [m for m in structure(engine).roms if m.depth == 256]
    assert (inverse.address_reg, len(inverse.contents), inverse.out_reg) == (8, 256, True)
    assert inverse.contents[0] == 1 << 17 and list(inverse.contents) == sorted(inverse.contents, reverse=True)
    assert 60 <= cost(Structure(roms=Counter({inverse: 1})), Family.XILINX).lut <= 72


def test_on_xc7_a_rom_summed_in_the_cycle_of_its_read_spreads_into_the_adder() -> None:
    """A softmax's exponentials added in the cycle of their read: abc spreads a ROM of at
    least six address bits into the adder's LUTs on xc7, about a LUT per word bit for each
    address bit from four up; a shallower ROM, and the LUT4 families, keep the ROM's count."""
    def luts(depth: int, summed: bool, family: Family) -> int:
        rom = Memory(18, depth, False, read_in_cycle=True, summed_in_cycle=summed)
        return cost(Structure(roms=Counter({rom: 2})), family).lut

    for depth, levels in ((32, 0), (64, 2), (128, 3), (256, 4)):
        assert luts(depth, True, Family.XILINX) - luts(depth, False, Family.XILINX) == 2 * 18 * levels, depth
        assert luts(depth, True, Family.ECP5) == luts(depth, False, Family.ECP5)
    graph, config = softmax_layer(2, "fixed<12,1>")  # the exponentials: 64 words, summed in their read's cycle
    (engine,) = plan(rtl4ml.convert(graph, config)).engines
    assert [(m.depth, n) for m, n in structure(engine).roms.items() if m.summed_in_cycle] == [(64, 2)]


def test_softmax_with_a_fine_inverse_table_or_a_wide_result_is_estimated() -> None:
    """Shifts that come out negative (the inverse table finer than the exp table's
    fraction bits, a result with more fraction bits than the product) are left shifts."""
    graph = Graph([Node("x", Input((2,))), Node("s", Softmax(), ("x",))], ["s"], "sm")
    for model in ({"table": "ufixed<8,1>", "table_size": 4096},
                  {"table": "ufixed<4,1>", "inv_table": "ufixed<4,1>", "table_size": 8, "result": "ufixed<18,1>"}):
        row = estimate(graph, {"model": {"input": "fixed<8,3>", **model}}, correction=False).iloc[0]
        assert row.note == "" and row.ff > 0 and row.lut > 0


@pytest.mark.synth
def test_softmax_block_ram_choice_matches_yosys(tmp_path) -> None:
    """The tables Yosys puts in block RAM on ECP5 (SOFTMAX_ECP5_BRAM), and on iCE40 the
    block RAMs and SB_MAC16s the estimator counts."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed")
    from rtl4ml.project import synthesize_folder

    for (n, precision), bram in SOFTMAX_ECP5_BRAM:
        graph, config = softmax_layer(n, precision)
        folder = rtl4ml.convert(graph, config).write(tmp_path / f"softmax{n}")
        assert synthesize_folder(folder, "ecp5").synth.bram == bram, (n, precision)
        ice = estimate(graph, config, device="ice40up5k", correction=False).iloc[0]
        measured = synthesize_folder(folder, "ice40").synth
        assert (measured.dsp, measured.bram) == (ice.dsp, ice.bram), (n, precision)



@pytest.mark.parametrize(("precision", "clamp_bits"), [("fixed<9,1>", 0), ("fixed<9,4>", 1), ("fixed<10,5>", 2),
                                                       ("fixed<14,7>", 4)])
def test_an_exp_table_records_how_many_index_bits_its_clamp_reads(precision: str, clamp_bits: int) -> None:
    """The differences of 256-entry tables' inputs: those of fixed<9,1> are a bare slice
    (no clamp); each more integer bit from fixed<9,4> on adds a bit above the table's 8 that
    the clamp reads (the dataset's clamped softmaxes measured up to 221 more LUTs per exp
    table on xc7 than estimated, growing with these bits). The learned correction reads their
    sum over the tables' word bits."""
    from rtl4ml.estimate.features import structure_features

    s = structure(plan(rtl4ml.convert(*softmax_layer(3, precision))).engines[0])
    exp_roms = [m for m in s.roms if not m.contents]
    assert exp_roms and all(m.clamp_bits == clamp_bits for m in exp_roms)
    assert structure_features(s)["rom_clamp_bits"] == sum(n * m.width * clamp_bits for m, n in s.roms.items()
                                                          if not m.contents)
