# emoscope: `make` builds, `make demo` runs the main job, `make test` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
JOBS       ?= $(shell nproc)
CMAKE_FLAGS ?=
FUZZ_SECONDS ?= 60
SMOKE_FUZZ_SECONDS ?= 5
# Debian's interpreter, where python3-torch lives (not a pyenv or venv one).
PYTHON     ?= /usr/bin/python3
GPU        ?=
TRAIN_ARGS ?=
PREFIX     ?= /usr/local

.PHONY: all build deps models demo test test-unit test-asan fuzz fuzz-smoke bench train-emotion clean install uninstall

all: build

build:
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMO_WERROR=ON $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@echo "built $(BUILD)/emoscope"

deps:
	@scripts/install-deps.sh

models:
	@scripts/install-models.sh

demo: deps models build
	@scripts/demo.sh $(BUILD)/emoscope

test: deps models build
	@scripts/run-tests.sh

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD)

fuzz-smoke:
	@FUZZ_SEED=1 FUZZ_SECONDS=$(SMOKE_FUZZ_SECONDS) scripts/fuzz.sh $(FUZZ_BUILD)

# The library, headers, emoscope.pc, the CLI, its man page and the models
# (docs/install.md). Only what installs is built; DESTDIR is honoured.
install: models
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DEMO_WERROR=ON -DCMAKE_INSTALL_PREFIX=$(PREFIX) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) --target emoscope_shared emoscope_cli
	@cmake --install $(BUILD)
	@echo "installed into $(PREFIX) (pkg-config: PKG_CONFIG_PATH=$$(dirname $$(grep -m1 '/emoscope.pc$$' $(BUILD)/install_manifest.txt)))"

uninstall:
	@scripts/uninstall.sh $(BUILD)/install_manifest.txt

bench: build models
	$(BUILD)/emoscope bench

# Trains models/fer_vgg.hdf5 (+ card, golden file) from ../shared/testdata/fer2013-train;
# reruns resume from build/train-cpu (GPU=1: build/train-gpu, CUDA). See train/README.md.
train-emotion: build
	@scripts/install-deps.sh scripts/packages-train.txt
	$(PYTHON) -m train.train $(if $(GPU),--preset gpu) --lib $(BUILD)/libemoscope.so $(TRAIN_ARGS)
	@cmake --build $(BUILD) -j $(JOBS) >/dev/null
	$(BUILD)/emoscope eval ../shared/testdata/fer2013-public --models fer_vgg

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
