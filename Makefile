# ftboot: build, install, test, fuzz, bench.
#
#   make                      build ./ftboot
#   make DEV=1                ... with -Werror
#   make SANITIZE=address,undefined test
#   make test                 install test dependencies, then every tier
#   make test-unit | test-integration | test-vm
#   make test-fresh           deps.sh + unit/integration in a minimal Debian root
#   make fuzz [FUZZ_SECONDS=N]   every libFuzzer target, bounded, ASan+UBSan
#   make bench                render, pack, VM, build and apply benchmarks (figures and ratios)
#   make install PREFIX=/usr/local DESTDIR=
#   make format | format-check | analyze | shellcheck

PREFIX   ?= /usr/local
BINDIR   ?= $(PREFIX)/bin
DESTDIR  ?=
CC       ?= cc
VERSION  := 0.1.0
PKGS     := libvirt libxml-2.0 yaml-0.1 libcurl libssh2 zlib json-c libcrypto
FUZZ_SECONDS ?= 30

WARN     := -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wwrite-strings -Wvla
CFLAGS   ?= -O2 -g
CFLAGS   += -std=c11 $(WARN) -D_GNU_SOURCE -DFTBOOT_VERSION='"$(VERSION)"'
# Parallel builds (build.c) run one thread per engine connection.
CFLAGS   += -pthread
LDFLAGS  += -pthread
ifeq ($(DEV),1)
CFLAGS   += -Werror
endif

# Each variant builds into its own directory so objects never mix.
ifneq ($(SANITIZE),)
VARIANT  := san
CFLAGS   += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS  += -fsanitize=$(SANITIZE)
BIN      := build/$(VARIANT)/ftboot
else
VARIANT  := default
BIN      := ftboot
endif
OUT      := build/$(VARIANT)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

# bootstrap/lib: the library (prints nothing, links into tests and fuzz
# targets); bootstrap/cmd: the commands, main() and the command table.
LIB_SRCS := $(wildcard bootstrap/lib/*.c)
CMD_SRCS := $(wildcard bootstrap/cmd/*.c)
LIB_OBJS := $(LIB_SRCS:bootstrap/%.c=$(OUT)/%.o)
CMD_OBJS := $(CMD_SRCS:bootstrap/%.c=$(OUT)/%.o)
# The commands without main(), for the unit test that runs them (test_cmd).
CMD_LIB_OBJS := $(filter-out $(OUT)/cmd/main.o,$(CMD_OBJS))
INC      := -Ibootstrap/lib -Ibootstrap/cmd
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUT)/tests/%)
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)

export FTBOOT := $(abspath $(BIN))
export FTBOOT_TOP := $(CURDIR)

.PHONY: all deps-check install uninstall clean test test-deps test-unit test-stack \
        test-integration test-vm unit-bins fuzz bench format format-check \
        analyze shellcheck e2e-laptop test-fresh

all: $(BIN)

# Name what is missing and how to get it, instead of a wall of compiler errors.
$(OUT)/deps.ok:
	@mkdir -p $(OUT)
	@missing=""; for p in $(PKGS); do pkg-config --exists $$p || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "ftboot: missing libraries:$$missing" >&2; \
	  echo "ftboot: install them with: sudo tests/deps.sh build   (or: make test, which does it)" >&2; \
	  exit 1; fi
	@touch $@

$(OUT)/%.o: bootstrap/%.c | $(OUT)/deps.ok
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(INC) $(PKG_CFLAGS) -MMD -MP -c -o $@ $<

$(BIN): $(LIB_OBJS) $(CMD_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(OUT)/tests/%: tests/unit/%.c tests/tap.h tests/run.h tests/scratch.h tests/net.h $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(INC) -Itests -o $@ $< $(LIB_OBJS) $(LDFLAGS) $(PKG_LIBS)

$(OUT)/tests/test_cmd: tests/unit/test_cmd.c tests/tap.h tests/run.h tests/scratch.h tests/net.h $(CMD_LIB_OBJS) $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $(PKG_CFLAGS) $(INC) -Itests -o $@ $< $(CMD_LIB_OBJS) $(LIB_OBJS) $(LDFLAGS) $(PKG_LIBS)

unit-bins: $(UNIT_BINS)

-include $(wildcard $(OUT)/lib/*.d $(OUT)/cmd/*.d)

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR)
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/ftboot

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ftboot

clean:
	rm -rf build ftboot

# ---- tests ---------------------------------------------------------------
# `make test` is what README and CI run: dependencies, then the four tiers.
test: test-deps
	@$(MAKE) --no-print-directory $(BIN) unit-bins
	@tests/run-tiers unit integration stack vm

test-deps:
	@tests/deps.sh test

test-unit: $(BIN) unit-bins
	@tests/run-tiers unit

test-integration: $(BIN) $(OUT)/tests/test_tgz
	@FTBOOT_TEST_BINS=$(OUT)/tests tests/run-tiers integration

test-stack: $(BIN)
	@tests/run-tiers stack

test-vm: $(BIN)
	@tests/run-tiers vm

# As root: debootstrap a minimal Debian 12, run tests/deps.sh test and the
# unit and integration tiers in it (tests/fresh/run.sh). Status 77 (cannot
# run here, the reason on stderr) is a skip, as in the tiers.
test-fresh:
	@tests/fresh/run.sh; rc=$$?; \
	if [ $$rc -eq 77 ]; then echo "test-fresh: skipped (cannot run here)" >&2; rc=0; fi; \
	exit $$rc

fuzz:
	@FTBOOT_VERSION=$(VERSION) tests/fuzz/run.sh $(FUZZ_SECONDS)

bench: $(BIN) $(OUT)/tests/test_tgz
	@tests/bench/render.sh
	@FTBOOT_TEST_BINS=$(OUT)/tests tests/bench/pack.sh
	@tests/bench/vm.sh
	@tests/bench/build.sh || [ $$? -eq 77 ]
	@tests/bench/kube.sh || [ $$? -eq 77 ]
	@tests/bench/check.sh || [ $$? -eq 77 ]

e2e-laptop: $(BIN)
	@tests/e2e/laptop.sh

# ---- code checks ---------------------------------------------------------
FMT_FILES := $(wildcard bootstrap/*/*.[ch] tests/*.h tests/unit/*.c tests/fuzz/*.c tests/servers/*.c)

format:
	clang-format -i $(FMT_FILES)

format-check:
	clang-format --dry-run -Werror $(FMT_FILES)

analyze:
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
	  --std=c11 -D_GNU_SOURCE --suppress=missingIncludeSystem -Ibootstrap/lib -Ibootstrap/cmd bootstrap

shellcheck:
	shellcheck -x setup.sh .ci/run tests/*.sh tests/run-tiers tests/*/*.sh tests/fixtures/*/*.sh images/*/*.sh \
	  $(wildcard srcs/*/*.sh)
