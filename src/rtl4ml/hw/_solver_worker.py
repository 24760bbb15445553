"""A worker process of :mod:`rtl4ml.hw.solve_batch`: solves the weight matrices it reads.

Run by path (``python -P _solver_worker.py``), so that it imports da4ml and nothing of
rtl4ml. It reads pickled ``(weight, qintervals, settings)`` from stdin until it closes and
answers each with a pickled ``(solution or None, seconds)`` on stdout.
"""

import pickle
import sys
import time


def main() -> None:
    from da4ml.cmvm import solve

    requests, answers = sys.stdin.buffer, sys.stdout.buffer
    while True:
        try:
            weight, qintervals, settings = pickle.load(requests)
        except EOFError:
            return
        started = time.perf_counter()
        try:
            solution = solve(weight, qintervals=qintervals, **settings)
        except Exception:  # noqa: BLE001 - the parent solves it again and handles the failure
            solution = None
        pickle.dump((solution, time.perf_counter() - started), answers)
        answers.flush()


if __name__ == "__main__":
    main()
