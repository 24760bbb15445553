"""The estimator's resource models: each engine's structure (adders, comparators,
multiplexers, tables, registers) and its mapping onto a family's cells, checked against
what the backend writes and, where marked, against Yosys."""

from __future__ import annotations

import re
import shutil
from collections import Counter

import numpy as np
import pytest
from hw_models import K, chain, dense

import rtl4ml
from rtl4ml.backends.verilog.netlist import bits_for
from rtl4ml.devices import Family
from rtl4ml.estimate import estimate
from rtl4ml.estimate.mapping import CELLS, Cost, blocks, cost, maps_to_dsp
from rtl4ml.estimate.structure import Memory, Structure, structure
from rtl4ml.hw import plan
from rtl4ml.hw.records import Fifo, Stream
from rtl4ml.ir import Activation, Dense, Graph, Input, Node, Pool, PoolKind


def test_memories_map_to_the_fewest_blocks_of_the_best_shape() -> None:
    xilinx = CELLS[Family.XILINX].bram_shapes
    assert blocks(Memory(36, 512, True), xilinx) == 1
    assert blocks(Memory(72, 512, True), xilinx) == 2
    assert blocks(Memory(4, 4096, True), xilinx) == 1
    assert blocks(Memory(40, 1000, True), xilinx) == 3  # 1024x18 blocks: 3 wide
    ice = CELLS[Family.ICE40].bram_shapes
    assert blocks(Memory(16, 256, True), ice) == 1 and blocks(Memory(32, 512, True), ice) == 4


def test_a_fifo_marked_for_block_ram_costs_blocks_and_a_small_one_lut_ram() -> None:
    s = Stream(4, rtl4ml.FixedType(9, 3))
    big = structure(Fifo("a", "b", 0, 1024, s, block_ram=True))
    small = structure(Fifo("a", "b", 0, 16, s))
    assert cost(big, Family.XILINX).bram == 2 and cost(big, Family.XILINX).lut < 40
    assert cost(small, Family.XILINX).bram == 0 and cost(small, Family.XILINX).lut > 0
    assert cost(small, Family.ICE40).ff >= 16 * 36  # no LUT RAM on iCE40: registers


def test_lut_ram_takes_the_cheapest_cell() -> None:
    """AMD/Xilinx: RAM32M holds 32 words of 6 bits in 4 LUTs, RAM64M 64 of 3, RAM128X1D
    128 of 1; ECP5: a 16x4 DPR16X4 counts four LUT4s."""
    def luts(width, depth, family):
        return cost(Structure(rams=Counter({Memory(width, depth, False): 1})), family).lut

    assert luts(54, 5, Family.XILINX) == 9 * 4  # RAM32M
    assert luts(6, 60, Family.XILINX) == 2 * 4  # RAM64M
    assert luts(2, 100, Family.XILINX) == 2 * 4  # RAM128X1D
    assert luts(54, 5, Family.ECP5) == 14 * 4


def test_a_logic_rom_of_unknown_words_costs_its_lut_tree_whose_wide_muxes_are_free_on_xc7() -> None:
    """Each bit of a 256-word ROM: four 64-word LUT6s whose MUXF7/F8 take no LUT on xc7
    (a 512-word one: one LUT more, the third level's multiplexer); on ECP5 each bit of a
    64-word ROM: four LUT4s and three multiplexers."""
    def luts(depth, family):
        return cost(Structure(roms=Counter({Memory(12, depth, False): 1})), family).lut

    assert [luts(d, Family.XILINX) for d in (64, 128, 256, 512)] == [12, 2 * 12, 4 * 12, 9 * 12]
    assert luts(64, Family.ECP5) == 7 * 12


def _pool(kind: PoolKind, size: int, channels: int) -> Graph:
    pool = Pool(kind, (size, size), (size, size), ((0, 0), (0, 0)))
    return Graph([Node("x", Input((8, 12, channels))), Node("p", pool, ("x",))], ["p"], "pool")


def test_a_max_pool_costs_its_compare_and_select_bits() -> None:
    """Each of the three two-value maxima of a 2x2 window, per channel and bit: a
    comparator and a multiplexer, at what Yosys measured on max pools (2 LUT6s, 2 LUT4
    equivalents); the window's output register loads on its clock enable (no LUTs)."""
    design = rtl4ml.convert(_pool(PoolKind.MAX, 2, 4), {"model": {"precision": "fixed<9,2>"}})
    parts = structure(plan(design).engines[0])
    assert parts.max_bits == 4 * 3 * 9 and parts.compare_bits < 20 and parts.mux_bits == 0
    assert cost(Structure(max_bits=10), Family.XILINX).lut == 20
    assert cost(Structure(max_bits=10), Family.ECP5).lut == 20


def test_an_average_over_nine_divides_by_a_constant_product() -> None:
    """A 3x3 average: the sum of nine, the offset that makes it non-negative, the quotient
    as the product by ceil(2**k / 9) (shifts and adds), the remainder's bits below 9, the
    rounding against it, the quotient plus its rounding carry."""
    design = rtl4ml.convert(_pool(PoolKind.AVG, 3, 1), {"model": {"precision": "fixed<8,2>"}})
    parts = structure(plan(design).engines[0])
    (div,) = (p for p in plan(design).engines[0].parts if getattr(p, "division", None) is not None)
    digits = {d for _, d, _ in parts.const_products}
    assert len(parts.const_products) == 2 and 2 in digits  # 9 = 8 + 1
    assert div.division.den == 9 and parts.compare_bits >= 5  # 2 * rem against 9


def test_a_division_adds_its_offset_from_the_offsets_lowest_one_and_reads_q_times_den_below_den() -> None:
    """Sums of nine in [-1152, 1143] (2 fraction bits) to fixed<8,2>: num = sum << 4, made
    non-negative by the offset 0x4800, 16 bits. Below the offset's lowest one bit (11) the
    sum passes through: a 5-bit adder. The quotient times 9 is read only at the
    remainder's 4 bits (Yosys drops the rest). Then the 4-bit remainder and the 12-bit
    quotient plus its rounding carry."""
    from rtl4ml.estimate.structure import division
    from rtl4ml.fixed import FixedType
    from rtl4ml.hw.divide import const_division

    y = FixedType.parse("fixed<8,2>")
    div = const_division(-1152, 1143, 2, 9, y)
    assert (div.shift_left, div.offset) == (4, 0x4800)
    s = Structure()
    division(s, 1, -1152, 1143, div, y)
    assert s.adder_bits == 5 + 4 + 12
    assert s.const_products[12, 2, 4] == 1  # q (12 bits) * 9 = q + (q << 3), 4 bits kept


def test_a_constant_product_of_a_wide_input_is_shift_and_add() -> None:
    """A 12-bit input times a constant of 3 signed digits, 16 bits wide: two carry-chain
    adders on the carry chain (one LUT per bit; a CCU2C per two bits on ECP5); an input of at most lut_inputs + 2 bits makes each product bit one wide LUT
    (a LUT7 is two LUT6s; a LUT6 four LUT4s)."""
    wide = Structure(const_products=Counter({(12, 3, 16): 1}))
    assert cost(wide, Family.XILINX).lut == 2 * 16
    assert cost(wide, Family.ECP5).lut == 2 * 16
    assert cost(Structure(const_products=Counter({(7, 3, 16): 1})), Family.XILINX).lut == 16 * 2
    assert cost(Structure(const_products=Counter({(6, 3, 16): 1})), Family.ECP5).lut == 16 * 4


def test_register_bits_are_the_output_bits_that_vary() -> None:
    """Synthesis drops constant register bits and merges equal ones (a sign extension):
    the estimate counts the emulator's outputs over the input range."""
    from rtl4ml.estimate.live_bits import distinct_columns

    assert distinct_columns(np.array([0, 1, 2, 3]), 12) == 2
    assert distinct_columns(np.arange(-4, 4), 12) == 3  # bits 2..11 are one sign bit
    assert distinct_columns(np.array([8, 8, 8]), 6) == 0
    assert distinct_columns(np.array([0, 4, 8, 12]), 8) == 2  # the low bits stay zero
    from rtl4ml.estimate.live_bits import EXHAUSTIVE, _inputs

    for hi in (2 * EXHAUSTIVE - 2, 4 * EXHAUSTIVE - 4, (1 << 20) - 1):  # sampled, yet every bit varies
        assert distinct_columns(_inputs(0, hi), 24) == hi.bit_length()
    graph = Graph([Node("x", Input((6,))), Node("a", Activation.relu6(), ("x",))], ["a"], "clip")
    config = {"model": {"input": "fixed<6,2>", "result": "fixed<16,4>"}}
    # the input reaches [-2, 1.9375]: the clipped output [0, 1.9375] has 5 bits, not 16
    assert estimate(graph, config, correction=False).iloc[0].ff == 6 * 5 + 1


def _sigmoid_layer(n: int, result: str) -> tuple[Graph, dict]:
    graph = Graph([Node("x", Input((n,))), Node("s", Activation(K.SIGMOID), ("x",))], ["s"], "sig")
    return graph, {"model": {"input": "fixed<14,2>", "result": result, "table_size": 1024}}


def test_a_table_goes_to_block_ram_when_blocks_cost_less_than_its_logic() -> None:
    """Yosys weighs a ROM's bits in logic (1/64 each on LUT6, 1/16 on LUT4) against
    block RAMs (about 130 each, 66 for iCE40's 4 Kb ones): a wide 1024-entry table is a
    block RAM on every family, a 3-bit one not on AMD/Xilinx. In a block RAM the output
    register is the block's own."""
    wide, narrow = _sigmoid_layer(4, "fixed<15,3>"), _sigmoid_layer(4, "fixed<4,1>")
    for (graph, config), blocks_per_family in ((wide, [4, 4, 12]), (narrow, [0, 4, 4])):
        table = estimate(graph, config, device=["xc7a100t", "ecp5-85", "ice40up5k"], correction=False)
        assert list(table.bram) == blocks_per_family  # iCE40: 1024 x 13 bits in 1024 x 4 blocks
        if blocks_per_family[0]:
            assert table.iloc[0].ff == 1  # the valid bit alone


def test_a_logic_rom_costs_what_its_contents_need() -> None:
    """Each data bit splits on the address's top bit until it fits a LUT: constant parts
    take none, parts the top bit does not change are one, other halves are joined by a
    multiplexer (on AMD/Xilinx the two levels above the LUT6s are MUXF7/MUXF8, no LUTs)."""
    from rtl4ml.estimate.rom_logic import rom_luts

    rng = np.random.default_rng(3)
    noise = tuple(int(v) for v in rng.integers(0, 2, 256))  # one bit, no structure
    assert rom_luts(noise, 6, 2) == 4 and rom_luts(noise, 4, 0) == 16 + 15
    step = tuple([0] * 200 + [1] * 56)  # a threshold: one part of 16 (LUT4) or 64 (LUT6) changes
    assert rom_luts(step, 4, 0) == 1 + 4 and rom_luts(step, 6, 2) == 1  # LUT4: 4 multiplexers above it
    assert rom_luts(tuple([5] * 64), 4, 0) == 0  # constant bits are wires
    assert rom_luts(noise[:16] * 16, 4, 0) == 1  # a function of the low address bits alone


def test_a_small_table_read_by_selecting_its_ends_is_estimated_from_its_words() -> None:
    """An activation's table of up to 64 entries whose input range leaves it on both sides:
    its ROM's words (rotated as the backend reads them) decide its logic, and each output
    bit takes a multiplexer for the selected end; an input range inside the table needs
    neither comparator nor multiplexer."""
    from rtl4ml.emulate.tables import TABLE_ACTIVATIONS, index_scaling
    from rtl4ml.estimate.live_bits import table_values
    from rtl4ml.hw.table_read import rotated

    graph = Graph([Node("x", Input((3,))), Node("t", Activation(K.TANH), ("x",))], ["t"], "tanh")
    design = rtl4ml.convert(graph, {"model": {"input": "fixed<12,5>", "result": "fixed<14,5>", "table_size": 64}})
    impl = plan(design)["t"]
    s = structure(impl)
    (rom, n), = s.roms.items()
    words = [int(v) for v in table_values(TABLE_ACTIVATIONS[K.TANH], impl.table, impl.output.type)]
    assert n == 3 and rom.contents == tuple(rotated(words, index_scaling(12 - 5, impl.table)[1]))
    assert rom.contents != tuple(words)
    assert s.mux_bits == 3 * rom.width and s.const_compare_bits > 0
    inside = rtl4ml.convert(graph, {"model": {"input": "fixed<6,2>", "result": "fixed<14,5>", "table_size": 64}})
    s_in = structure(plan(inside)["t"])
    assert s_in.mux_bits == 0 and s_in.const_compare_bits == 0


def test_ice40_splits_a_wide_product_over_sb_mac16s_and_keeps_small_ones_in_logic() -> None:
    """As Yosys's mul2dsp does for iCE40: an 18x18 product is four 16x16 pieces, of which
    the 2x2 one (a 4-bit product) stays in logic; products of fewer than 11 bits, or by
    a 1-bit operand, are logic."""
    def dsps(a, b, y, signed=True):
        return cost(Structure(multipliers=Counter({(a, b, y, signed): 1}), dsp=True), Family.ICE40).dsp

    assert dsps(18, 18, 36, False) == 3 and dsps(16, 16, 32) == 1 and dsps(6, 8, 13) == 1
    assert dsps(6, 4, 10) == 0 and dsps(12, 1, 13) == 0
    assert cost(Structure(multipliers=Counter({(6, 4, 10, True): 1}), dsp=True), Family.ICE40).lut == 24


@pytest.mark.synth
def test_table_block_ram_choice_matches_yosys(tmp_path) -> None:
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed")
    from rtl4ml.project import synthesize_folder

    for name, result in (("wide", "fixed<15,3>"), ("narrow", "fixed<4,1>")):
        graph, config = _sigmoid_layer(2, result)
        folder = rtl4ml.convert(graph, config).write(tmp_path / name)
        table = estimate(graph, config, device=["xc7a100t", "ecp5-85", "ice40up5k"], correction=False)
        for target, row in zip(("xc7", "ecp5", "ice40"), table.itertuples()):
            measured = synthesize_folder(folder, target).synth
            assert (measured.bram, measured.ff) == (row.bram, row.ff), (name, target)


@pytest.mark.synth
def test_an_average_pools_estimate_is_close_to_yosys(tmp_path) -> None:
    """A 2x2 average pool of six channels: adders, roundings (increments: the carry chain
    alone on AMD/Xilinx), LUT RAM line buffers and registers, analytic, against Yosys."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed")
    from rtl4ml.project import synthesize_folder

    graph, config = _pool(PoolKind.AVG, 2, 6), {"model": {"precision": "fixed<9,2>"}}
    table = estimate(graph, config, device=["xc7a100t", "ecp5-85"], correction=False)
    folder = rtl4ml.convert(graph, config).write(tmp_path / "avg")
    for target, row, tolerance in (("xc7", table.iloc[0], 0.10), ("ecp5", table.iloc[1], 0.05)):
        measured = synthesize_folder(folder, target).synth
        assert abs(row.lut - measured.lut_equivalents) <= tolerance * measured.lut_equivalents, (target, row.lut)
        assert abs(row.ff - measured.ff) <= 0.02 * measured.ff, (target, row.ff)


def test_a_folded_layers_sums_are_carry_save_trees_on_lut4_families() -> None:
    """Each output of a folded Dense adds its products of the cycle and its running sum in
    one expression: Yosys builds that as a carry-save tree of full adders (maccmap), in
    LUT4s on ECP5, while AMD/Xilinx DSP blocks take the additions."""
    rng = np.random.default_rng(3)
    graph = chain(dense(rng, 8, 3), shape=(8,))
    config = {"model": {"precision": "fixed<8,3>", "weight": "fixed<8,3>", "reuse_factor": 2}}
    design = rtl4ml.convert(graph, config)
    (engine,) = plan(design).engines
    s = structure(engine)
    adds = sum(s.product_adder_bits.values())
    acc = adds // 12  # 8 x 3 products, 12 multipliers of 2 cycles, none zero
    assert adds == 12 * acc
    assert s.carry_save_bits == 3 * (4 + 1 - 2) * acc  # per output: 4 products and the running sum
    assert cost(Structure(carry_save_bits=100), Family.ECP5).lut == 150  # a full adder: 1.5 LUT4s as abc packs them
    assert cost(Structure(carry_save_bits=100), Family.XILINX).lut == 0
    parallel = structure(plan(rtl4ml.convert(graph, {"model": {**config["model"], "reuse_factor": 1}})).engines[0])
    assert parallel.carry_save_bits == 0  # an adder graph's registered two-operand adders


def test_a_folded_layers_running_sum_is_in_the_dsp_blocks_that_hold_its_products() -> None:
    """A folded output's sum adds its products one after another to the bias or the
    running sum: on AMD/Xilinx each addition of a product a DSP block holds goes into
    that block's post-adder (Yosys xilinx_dsp), and the choice of bias or running sum
    before the first one, now a DSP operand, takes a LUT per bit. After a shift, a gated
    product, a product under 9 bits or one with a 1-bit operand (which Yosys leaves in
    logic), or on a family without such adders, the addition is in logic."""
    def luts(key, has_dsp: bool = True, family: Family = Family.XILINX, field: str = "product_adder_bits") -> int:
        return cost(Structure(dsp=True, **{field: Counter({key: 100})}), family, has_dsp).lut

    in_dsp = (10, 4, 13, True)
    assert luts(in_dsp) == 0 and luts(in_dsp, field="base_select_bits") == 100
    for key in (None, (3, 4, 6, True), (12, 1, 13, True)):
        assert luts(key) == 100 and luts(key, field="base_select_bits") == 0, key
    assert luts(in_dsp, has_dsp=False) == luts(in_dsp, family=Family.ECP5) == 100
    assert luts(in_dsp, has_dsp=False, field="base_select_bits") == 0
    assert luts(in_dsp, family=Family.ECP5, field="base_select_bits") == 0
    # a 1-bit operand: a gate or a negation per product bit, no DSP block
    assert cost(Structure(dsp=True, multipliers=Counter({(12, 1, 13, True): 2})), Family.XILINX) == \
        Cost(26, 0, 0, 0)

    rng = np.random.default_rng(3)
    layer = dense(rng, 8, 3)
    base = {"precision": "fixed<16,6>", "input": "fixed<10,3>", "weight": "fixed<6,3>"}
    # folded twice, 8 inputs: each multiplier works for one output, its product added as it is
    s = structure(plan(rtl4ml.convert(chain(layer, shape=(8,)), {"model": {**base, "reuse_factor": 2}})).engines[0])
    acc = sum(s.base_select_bits.values()) // 3
    assert sum(s.product_adder_bits.values()) == 12 * acc and None not in s.product_adder_bits
    assert all(maps_to_dsp(k, CELLS[Family.XILINX]) for k in s.product_adder_bits)
    assert cost(s, Family.XILINX).lut < cost(s, Family.XILINX, has_dsp=False).lut
    # folded three times, 8 inputs: a multiplier working for two outputs gates its product into both sums
    s = structure(plan(rtl4ml.convert(chain(layer, shape=(8,)), {"model": {**base, "reuse_factor": 3}})).engines[0])
    assert s.gate_bits and s.product_adder_bits[None] and any(k is not None for k in s.product_adder_bits)
    # narrow inputs: products under 9 bits (here also shifted to the sum's LSB), additions in logic
    s = structure(plan(rtl4ml.convert(chain(layer, shape=(8,)), {"model": {
        **base, "input": "fixed<3,1>", "weight": "fixed<4,3>", "reuse_factor": 2}})).engines[0])
    assert sum(s.product_adder_bits.values()) and not any(
        maps_to_dsp(k, CELLS[Family.XILINX]) for k in s.product_adder_bits if k)


def test_a_folded_layers_operand_selection_counts_each_input_sequence_once() -> None:
    """Dense 9->6 folded 9 times: each of the 6 multipliers reads input r in cycle r, so
    their 8-stage operand multiplexers are equal and synthesis keeps one; folded 27
    times, 2 multipliers read the 9 inputs three times over (still one sequence each,
    equal), and a layer of one input needs no multiplexer at all."""
    rng = np.random.default_rng(5)
    config = {"model": {"precision": "fixed<8,3>", "weight": "fixed<8,3>"}}
    for reuse in (9, 27):
        design = rtl4ml.convert(chain(dense(rng, 9, 6), shape=(9,)),
                                {"model": {**config["model"], "reuse_factor": reuse}})
        assert structure(plan(design).engines[0]).select_bits == 8 * (reuse - 1)
    one_input = rtl4ml.convert(chain(dense(rng, 1, 4), shape=(1,)), {"model": {**config["model"], "reuse_factor": 2}})
    assert structure(plan(one_input).engines[0]).select_bits == 0


def test_a_multiplier_shared_by_outputs_gates_its_product(tmp_path) -> None:
    """Dense 1->4 folded twice: 2 multipliers, each working for two outputs one cycle
    each; every output adds its multiplier's product only in its own cycle (an AND of
    the product's bits with the cycle's condition)."""
    rng = np.random.default_rng(6)
    design = rtl4ml.convert(chain(dense(rng, 1, 4), shape=(1,)),
                            {"model": {"precision": "fixed<8,3>", "weight": "fixed<8,3>", "reuse_factor": 2}})
    (engine,) = plan(design).engines
    a = engine.arith
    expected = 0
    for mi in range(2):  # multiplier mi computes outputs 2 mi and 2 mi + 1
        ws = [int(a.weight[0, 2 * mi + r]) for r in range(2)]
        ends = [x * w for x in (a.x_lo, a.x_hi) for w in (min(ws), max(ws))]
        expected += 2 * bits_for(min(min(ends), -1), max(ends))
    assert structure(engine).gate_bits == expected
    folder = design.write(tmp_path / "design")
    text = "".join(f.read_text() for f in (folder / "rtl").glob("*.v"))
    assert len(re.findall(r"assign c\d+_\d+ = ", text)) == 4  # what the backend writes


def test_a_clip_costs_its_comparators_and_the_bits_it_keeps() -> None:
    """relu6 of fixed<13,5> (8 fraction bits) into fixed<5,2> (3): the comparators against
    the bounds (constants: a few LUT6s, a carry chain on ECP5) see the input's 13 bits
    (the alignment to the bounds' 16 fraction bits adds zeros that drop out), the
    multiplexer the clipped value down to its rounding bit."""
    graph = Graph([Node("x", Input((3,))), Node("a", Activation.relu6(), ("x",))], ["a"], "clip")
    (engine,) = plan(rtl4ml.convert(graph, {"model": {"input": "fixed<13,5>", "result": "fixed<5,2>"}})).engines
    s = structure(engine)
    # clipped to [0, 6 * 2**8]; rounded to 3 fraction bits, [0, 48]: above 3.875, saturated
    assert s.const_compare_bits == 3 * 2 * 13 and s.compare_bits == 0  # below 0, above 6: constants
    assert cost(Structure(const_compare_bits=100), Family.XILINX).lut == 20
    assert cost(Structure(const_compare_bits=100), Family.ECP5).lut == 120
    assert s.reduce_bits == 3 * 1  # the saturation: an OR of [0, 48]'s bits 5 and 4
    assert s.adder_gate_bits == 3 * 7  # the clipped value from the rounding bit up, [0, 96], into the adder
    assert s.mux_bits == 3 * 5  # the saturation
    assert s.increment_bits == 3 * 6 and s.adder_bits == 0  # the rounding of the kept bits, [0, 49]


def test_a_dense_converts_each_outputs_exact_range() -> None:
    """A fully parallel Dense with an exact accumulator: an output whose sum stays inside
    the result type needs no saturation; one that can exceed it is saturated from the bits
    above the type's top bit (an OR and an AND of them with the sign), not with
    comparators; RND's half LSB is in the bias, so no rounding adder."""
    weight = np.array([[1.0, 0.0], [0.5, 0.0], [0.0, 7.0]])
    graph = Graph([Node("x", Input((3,))), Node("d", Dense(weight, np.zeros(2)), ("x",))], ["d"], "dense")
    config = {"model": {"input": "fixed<6,2>", "weight": "fixed<8,4>", "result": "fixed<6,3,RND,SAT>"}}
    (engine,) = plan(rtl4ml.convert(graph, config)).engines
    s = structure(engine)
    # output 0: x0 + x1 / 2 in [-3, 2.90625] fits fixed<6,3>; output 1: 7 x2 in [-14, 13.5625]
    # does not: at 8 fraction bits [-3584, 3472], plus the half LSB 16, read from bit 5 up
    # [-112, 109], 8 bits: above, ~sign & (bit 6 | bit 5); below, sign & ~(bit 6 & bit 5)
    assert s.compare_bits == 0
    assert s.reduce_bits == 2 * 2
    assert s.mux_bits == 6  # output 1's saturation
    wrap = structure(plan(rtl4ml.convert(graph, {"model": {**config["model"], "result": "fixed<6,3,RND,WRAP>"}}))
                     .engines[0])
    assert wrap.reduce_bits == wrap.mux_bits == wrap.compare_bits == 0


def test_a_relu_before_a_rounding_adder_is_inside_the_carry_chains_luts_on_amd() -> None:
    """relu of fixed<9,1> (8 fraction bits) into fixed<5,1> (4): the gate is needed only
    from the rounding bit up. The rounding is an increment: on AMD/Xilinx the carry chain
    alone (Yosys maps no LUT to an operand bit plus a carry), so the gate takes the LUT in
    front of it; on LUT4 families the increment is a CCU2C's LUT and the gate one more
    (and on each, one LUT for the stall enable)."""
    graph = Graph([Node("x", Input((20,))), Node("a", Activation(K.RELU), ("x",))], ["a"], "relu")
    (engine,) = plan(rtl4ml.convert(graph, {"model": {"input": "fixed<9,1>", "result": "fixed<5,1>"}})).engines
    s = structure(engine)
    assert s.gate_bits == 0 and s.adder_gate_bits == 20 * 5  # [0, 255] read from bit 3 up: [0, 31]
    assert s.increment_bits == 20 * 5 and s.adder_bits == 0  # [0, 16] after rounding, plus its carry
    assert cost(s, Family.XILINX).lut == 101 and cost(s, Family.ECP5).lut == 201
    exact = structure(plan(rtl4ml.convert(graph, {"model": {"input": "fixed<9,1>", "result": "fixed<12,4>"}})).engines[0])
    assert exact.gate_bits == 20 * 8 and exact.adder_gate_bits == 0 and exact.increment_bits == 0  # nothing rounded


def _lone_relu() -> tuple[Graph, dict]:
    """A ReLU of five fixed<9,1> inputs into fixed<13,5>: nothing rounded or clamped."""
    graph = Graph([Node("x", Input((5,))), Node("a", Activation(K.RELU), ("x",))], ["a"], "relu")
    return graph, {"model": {"input": "fixed<9,1>", "result": "fixed<13,5>"}}


def test_on_ice40_a_relu_straight_before_its_register_is_the_flip_flops_reset() -> None:
    """A ReLU that neither rounds nor clamps chooses zero right before the enabled output
    register: iCE40's SB_DFFESR takes it (its reset obeys the enable), xc7's and ECP5's
    flip-flops do not (their reset overrides the enable), so there it stays a LUT per
    bit. A clamp after the ReLU takes the reset instead: then the gate stays a LUT."""
    graph, config = _lone_relu()
    s = structure(plan(rtl4ml.convert(graph, config)).engines[0])
    assert s.gate_bits == s.reset_bits == 5 * 8 and s.stall_enables == 1
    assert [cost(s, f).lut for f in (Family.XILINX, Family.ECP5, Family.ICE40)] == [41, 41, 2]
    clamped = structure(plan(rtl4ml.convert(graph, {"model": {"input": "fixed<9,1>", "result": "fixed<6,-2>"}}))
                        .engines[0])
    assert clamped.gate_bits > 0 and clamped.reset_bits == clamped.mux_bits == 5 * 6  # the clamp's bound


@pytest.mark.synth
def test_a_relus_luts_match_yosys_on_every_family(tmp_path) -> None:
    """The lone ReLU above, synthesized: 41 LUTs on xc7 and ECP5, 2 LUT4s on iCE40 (the
    gate in the flip-flops' reset; the stall enable, and the enable the valid register's
    reset overrides)."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed")
    from rtl4ml.project import synthesize_folder

    graph, config = _lone_relu()
    folder = rtl4ml.convert(graph, config).write(tmp_path / "relu")
    table = estimate(graph, config, device=["xc7a100t", "ecp5-85", "ice40up5k"], correction=False)
    for target, row in zip(("xc7", "ecp5", "ice40"), table.itertuples()):
        measured = synthesize_folder(folder, target).synth
        assert (measured.lut_equivalents, measured.ff) == (row.lut, row.ff), target


def _pairs(sign: float, bias: tuple[float, float] = (0.0, 0.0)) -> tuple[Graph, dict]:
    """A Dense of three integer inputs: x0 + sign * x1 and x1 + sign * x2 (+ bias), nothing
    rounded."""
    weight = np.array([[1.0, 0.0], [sign, 1.0], [0.0, sign]])
    graph = Graph([Node("x", Input((3,))), Node("d", Dense(weight, np.array(bias)), ("x",))], ["d"], "pairs")
    return graph, {"model": {"input": "fixed<8,8>", "weight": "fixed<8,8>", "result": "fixed<10,10>"}}


def test_the_bits_a_shift_and_add_graph_subtracts_cost_inverters_on_ice40_only() -> None:
    """x0 - x1 and x1 - x2 subtract two 8-bit inputs: 16 subtracted bits, which iCE40's
    SB_CARRY cannot invert (an inverter LUT each); xc7 and ECP5 subtract at the price of
    a sum. The same layer with sums subtracts nothing."""
    (diff,) = plan(rtl4ml.convert(*_pairs(-1.0))).engines
    (summ,) = plan(rtl4ml.convert(*_pairs(1.0))).engines
    d, s = structure(diff), structure(summ)
    assert d.subtracted_bits == 16 and s.subtracted_bits == 0 and d.adder_bits == s.adder_bits
    extra = [cost(d, f).lut - cost(s, f).lut for f in (Family.XILINX, Family.ECP5, Family.ICE40)]
    assert extra == [0, 0, 16]


@pytest.mark.synth
def test_the_subtractions_extra_luts_match_yosys_on_every_family(tmp_path) -> None:
    """The two layers above synthesized: the differences cost 16 LUT4s more than the sums
    on iCE40 and no LUT more on xc7 and ECP5, as estimated."""
    if shutil.which("yosys") is None:
        pytest.skip("yosys not installed")
    from rtl4ml.project import synthesize_folder

    targets = ("xc7", "ecp5", "ice40")
    measured, estimated = {}, {}
    for sign in (-1.0, 1.0):
        graph, config = _pairs(sign)
        folder = rtl4ml.convert(graph, config).write(tmp_path / f"pairs{sign:+.0f}")
        table = estimate(graph, config, device=["xc7a100t", "ecp5-85", "ice40up5k"], correction=False)
        estimated[sign] = list(table.lut)
        measured[sign] = [synthesize_folder(folder, t).synth.lut_equivalents for t in targets]
    assert [m - p for m, p in zip(measured[-1.0], measured[1.0])] == [0, 0, 16]
    assert [m - p for m, p in zip(estimated[-1.0], estimated[1.0])] == [0, 0, 16]


def test_a_bias_adder_starts_at_the_lowest_bit_both_operands_have() -> None:
    """The pairs' values (9 bits) sit 10 bits up in the accumulator, whose LSB takes the
    rounding's half: with no bias that half only fills the value's zero bits, no adder;
    biases of 1 and -2 are added from bit 10 up, the 10 bits of each 20-bit sum above."""
    plain = structure(plan(rtl4ml.convert(*_pairs(-1.0))).engines[0])
    biased = structure(plan(rtl4ml.convert(*_pairs(-1.0, (1.0, -2.0)))).engines[0])
    assert plain.adder_bits == 2 * 9  # the two differences only
    assert biased.adder_bits == 2 * 9 + 2 * 10


def test_an_output_a_relu_makes_constant_has_no_bias_adder() -> None:
    """x1 + x2 - 300 of 8-bit integers never exceeds -46: its ReLU is the constant 0 (the
    emitter writes it so, and Yosys removes the adder); with -100 instead the bias is
    added from its lowest one bit (2) up, 8 of the sum's 10 bits."""
    def layer(bias: float):
        weight = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
        dense = Dense(weight, np.array([0.0, bias]), Activation(K.RELU))
        graph = Graph([Node("x", Input((3,))), Node("d", dense, ("x",))], ["d"], "pairs")
        config = {"model": {"input": "fixed<8,8>", "weight": "fixed<8,8>", "bias": "fixed<12,12>",
                            "result": "fixed<10,10>"}}
        return structure(plan(rtl4ml.convert(graph, config)).engines[0])

    assert layer(-300.0).adder_bits == 2 * 9  # the graph's two sums only
    assert layer(-100.0).adder_bits == 2 * 9 + 8
