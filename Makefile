# Two entry points, each sets up its own virtual environment on a fresh machine:
#   make demo   convert the bundled example and compare float with bit-exact accuracy
#   make test   run the whole test suite
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
RTL4ML := $(VENV)/bin/rtl4ml

.PHONY: demo test bench clean tools

# simulators and synthesis for the hardware tests (Debian packages; needs root)
HDL_TOOLS := verilator yosys iverilog

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

tools:
	@missing=""; for t in $(HDL_TOOLS); do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "note:$$missing not found (apt-get install$$missing as root): their tests will be skipped"; fi; \
	fi

test: $(VENV)/.test tools
	$(PY) -m pytest -n 2 -q -p no:cacheprovider

bench: $(VENV)/.demo
	$(PY) benchmarks/emulator.py

clean:
	rm -rf $(VENV) out
