"""The generated testbench with samples of several beats (a pixel stream's), on
Verilator and Icarus: beat_sum3 (3 input beats -> 1 output beat) and beat_split (each
input beat -> 2 output beats), tests/tool_duts.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rtl4ml.tools import Simulator, compile_testbench, simulate

from tool_duts import Builds, N, SEEDS, SIMULATORS, cheapest_simulator  # noqa: I001

# ---------------------------------------------------------------------------------------
# Multi-beat samples: beat_sum3 (3 input beats -> 1 output beat), beat_split (each input
# beat -> 2 output beats), tests/tool_duts.py


@pytest.fixture(scope="module")
def byte_words() -> list[int]:
    """3 * N unsigned bytes, the extremes first."""
    words = np.random.default_rng(77).integers(0, 256, size=3 * N).tolist()
    words[:6] = [255, 255, 255, 0, 0, 0]
    return words


def beat_sum3_model(words: list[int]) -> list[int]:
    return [sum(words[i:i + 3]) for i in range(0, len(words), 3)]


def beat_split_model(words: list[int]) -> list[int]:
    return [w for word in words for w in (word, 255 - word)]


@pytest.mark.sim
@SIMULATORS
def test_multi_beat_input_sample_figures(sim: Simulator, builds: Builds,
                                         byte_words: list[int]) -> None:
    # beat_sum3 without stalls: the output register is always read, so the pipeline
    # advances every cycle and takes a beat every cycle. Sample k's beats transfer at
    # edges t0+3k, t0+3k+1, t0+3k+2; the third edge loads the sum register, edge t0+3k+3
    # the output register, and the output transfers at edge t0+3k+4:
    # latency = (t0+4) - t0 = 4; sample starts are 3 cycles apart: interval 3.
    built = builds.get(sim, "beat_sum3", 10, in_bits=8, in_beats=3)
    result = built.run(byte_words)
    assert result.outputs == beat_sum3_model(byte_words)
    assert result.outputs[:2] == [765, 0]
    assert (result.samples, result.inputs, result.starts) == (N, 3 * N, N)
    assert (result.latency, result.interval) == (4, 3)
    assert not result.timed_out
    line = f"RTL4ML samples={N} latency=4 interval=3 stalls=0 inputs={3 * N} starts={N} "
    assert line in result.log


@pytest.mark.sim
@SIMULATORS
def test_multi_beat_input_with_stalls(sim: Simulator, builds: Builds,
                                      byte_words: list[int]) -> None:
    built = builds.get(sim, "beat_sum3", 10, in_bits=8, in_beats=3)
    unstalled = built.run(byte_words)
    for seed in SEEDS:
        result = built.run(byte_words, stalls=True, seed=seed)
        assert result.outputs == beat_sum3_model(byte_words), f"seed {seed}"
        assert result.stalls and not result.timed_out and result.samples == N
        assert result.cycles > unstalled.cycles + 50


# beat_split without stalls (input beat j transfers at edge b(j)): beat 0 enters the input
# register at t0, the serializer at t0+1 (freeing the register for beat 1 at t0+1), and
# leaves as output beats at t0+2 and t0+3. The serializer takes the next word on the edge
# its second beat is read, which also frees the input register, so beat j >= 1 transfers
# at b(j) = t0 + 2j - 1 and leaves at t0 + 2j + 2 and t0 + 2j + 3.
# * 1 input beat and 2 output beats per sample: the first sample ends at t0+3, latency 3;
#   starts b(j), j >= 1, are 2 apart: interval 2.
# * 2 input beats and 4 output beats per sample: the first sample's 4th output beat is
#   input beat 1's second, at t0+5: latency 5; sample k starts with beat 2k at t0 + 4k - 1:
#   interval 4.
BEAT_SPLIT_CASES = pytest.mark.parametrize(
    "in_beats,out_beats,latency,interval", [(1, 2, 3, 2), (2, 4, 5, 4)], ids=["1x2", "2x4"])


@pytest.mark.sim
@SIMULATORS
@BEAT_SPLIT_CASES
def test_multi_beat_output_sample_figures(sim: Simulator, builds: Builds, byte_words: list[int],
                                          in_beats: int, out_beats: int, latency: int,
                                          interval: int) -> None:
    built = builds.get(sim, "beat_split", 8, in_bits=8, in_beats=in_beats, out_beats=out_beats)
    words = byte_words[:in_beats * N]
    result = built.run(words)
    assert result.outputs == beat_split_model(words)
    assert (result.samples, result.inputs, result.starts) == (N, in_beats * N, N)
    assert (result.latency, result.interval) == (latency, interval)
    assert not result.timed_out
    for seed in SEEDS:
        stalled = built.run(words, stalls=True, seed=seed)
        assert stalled.outputs == beat_split_model(words), f"seed {seed}"
        assert stalled.stalls and not stalled.timed_out and stalled.samples == N


@pytest.mark.sim
def test_multi_beat_samples_count_whole_samples(builds: Builds, byte_words: list[int]) -> None:
    built = builds.get(cheapest_simulator(), "beat_split", 8, in_bits=8, in_beats=2, out_beats=4)
    # Timed out at cycle 100: output beats came at edges t0+2 .. 100 (t0 = 2, see above),
    # 97 of them, which is 24 whole samples and one beat.
    short = built.run(byte_words[:2 * N], timeout_cycles=100)
    assert short.timed_out and len(short.outputs) == 97 and short.samples == 24
    assert short.outputs == beat_split_model(byte_words)[:97]
    one = built.run(byte_words[:2])
    assert one.outputs == beat_split_model(byte_words[:2])
    assert (one.samples, one.inputs, one.starts) == (1, 2, 1)
    assert one.latency == 5 and one.interval is None


@pytest.mark.sim
def test_run_rejects_partial_samples(builds: Builds, byte_words: list[int],
                                     rtl_dir: Path) -> None:
    built = builds.get(cheapest_simulator(), "beat_sum3", 10, in_bits=8, in_beats=3)
    assert (built.capacity, built.in_beats, built.out_beats) == (N, 3, 1)
    with pytest.raises(ValueError, match="multiple of in_beats=3 input words.*got 599"):
        built.run(byte_words[:-1])
    with pytest.raises(ValueError, match="got 0"):
        built.run([])
    too_many = f"1..{N} input samples.*got {N + 1}.*at most {3 * N} words"
    with pytest.raises(ValueError, match=too_many):
        built.run(byte_words + [1, 2, 3])
    with pytest.raises(ValueError, match="multiple of in_beats=3.*got 4"):
        simulate(rtl_dir / "beat_sum3", "beat_sum3", 8, 10, [1, 2, 3, 4], in_beats=3)
    with pytest.raises(ValueError, match="out_beats must be >= 1"):
        compile_testbench(rtl_dir / "beat_sum3", "beat_sum3", 8, 10, 4, out_beats=0)


