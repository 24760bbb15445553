# Two entry points, each sets up its own virtual environment on a fresh machine:
#   make demo   convert the bundled example and compare float with bit-exact accuracy
#   make test   run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
RTL4ML := $(VENV)/bin/rtl4ml

.PHONY: demo test bench clean

$(VENV)/.demo: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test: pyproject.toml $(VENV)/.demo
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.demo
	$(RTL4ML) inspect examples/models/digits_mlp.onnx
	$(RTL4ML) predict examples/models/digits_mlp.onnx --input examples/digits_x.npy --output out/digits_probabilities.npy
	$(PY) examples/demo.py

test: $(VENV)/.test
	$(PY) -m pytest -n 2 -q -p no:cacheprovider

bench: $(VENV)/.demo
	$(PY) benchmarks/emulator.py

clean:
	rm -rf $(VENV) out
