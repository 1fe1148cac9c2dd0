# ps-toolkit: GNU make, pkg-config, no other build system.
#
#   make                 libps.a and every tool under build/bin/
#   make check           set up what is missing, build, run every test
#   make check SANITIZE=1  the same under AddressSanitizer + UBSan (build/san/)
#   make demo            set up what is missing and show the tools at work
#   make install         PREFIX=/usr/local DESTDIR=
#   make completions     regenerate completions/ from the option tables
#   make bench           benchmarks against the peer tools (not run by CI)
#   make fuzz            build the libFuzzer targets (clang)
#
# The Makefile finds lib/*.c, cmd/*/ and tests/unit/test_*.c by itself; a
# tool that needs more than the common libraries says so in cmd/<tool>/tool.mk.

VERSION := 0.1.0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man

PKGS := yaml-0.1 jansson libcurl libarchive libpq libzstd libcrypto libssl libxxhash yajl
TEST_PKGS := check

CC ?= cc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Wshadow -Wformat=2 -Wno-unused-parameter \
	-Wno-missing-field-initializers -Wstrict-prototypes -Wvla
PS_CPPFLAGS := -I. -D_GNU_SOURCE -DPS_VERSION='"$(VERSION)"'

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
CFLAGS := -O1 -g
else
BUILD ?= build
SAN_FLAGS :=
endif

# Evaluated when used, so that a first run can install them (deps-ok) first.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CHECK_CFLAGS = $(shell pkg-config --cflags $(TEST_PKGS) 2>/dev/null)
CHECK_LIBS = $(shell pkg-config --libs $(TEST_PKGS) 2>/dev/null)

ALL_CFLAGS = -std=c11 $(WARN) $(PS_CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) $(SAN_FLAGS) -MMD -MP
ALL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS) -Wl,--as-needed
LIBS = $(PKG_LIBS) -lpthread -lm

LIB_SRC := $(sort $(wildcard lib/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
LIBPS := $(BUILD)/libps.a

TOOLS := $(sort $(notdir $(patsubst %/,%,$(wildcard cmd/ps-*/))))
BINS := $(TOOLS:%=$(BUILD)/bin/%)

UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# cmd/<tool>/tool.mk may add libraries: LIBS_ps-foo := -lsomething, or name
# the whole link instead of $(LIBS): LINK_ps-foo := -static -lsomething
-include $(wildcard cmd/*/tool.mk)

.PHONY: all deps check test unit demo install uninstall clean completions \
	bench fuzz fuzz-smoke man-lint
.DEFAULT_GOAL := all

all: deps-ok $(LIBPS) $(BINS)

# Install what the build and tests need when something is missing (Debian).
.PHONY: deps-ok
deps-ok:
	@scripts/deps.sh --check >/dev/null 2>&1 || scripts/deps.sh

deps:
	scripts/deps.sh

# Objects and the archive are written under a temporary name and renamed, so
# that several makes running in one tree never see a half-written file.
$(BUILD)/%.o: %.c | deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -MF $(@:.o=.d) -MT $@ -c $< -o $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

$(LIBPS): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@.$$$$.tmp
	$(AR) rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@

# One binary per cmd/ folder, from every .c file in it.
define tool_rule
$(BUILD)/bin/$(1): $(patsubst %.c,$(BUILD)/%.o,$(sort $(wildcard cmd/$(1)/*.c))) $(LIBPS)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@.$$$$$$$$.tmp $$(filter %.o,$$^) $(LIBPS) $$(or $$(LINK_$(1)),$$(LIBS_$(1)) $$(LIBS)) && mv -f $$@.$$$$$$$$.tmp $$@
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))

$(BUILD)/tests/%: tests/unit/%.c $(LIBPS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) $(ALL_LDFLAGS) -MF $@.d -MT $@ -o $@.$$$$.tmp $< $(LIBPS) \
		$(CHECK_LIBS) $(LIBS) && mv -f $@.$$$$.tmp $@

unit: all $(UNIT_BINS)

# The README's test command: everything, ending in "N passed, N failed".
check: all $(UNIT_BINS)
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) tests/run.sh

test: check

demo: all
	@BUILD=$(BUILD) scripts/demo.sh

completions: all
	@for t in $(TOOLS); do \
		$(BUILD)/bin/$$t --completion=bash > completions/bash/$$t && \
		$(BUILD)/bin/$$t --completion=zsh > completions/zsh/_$$t && \
		$(BUILD)/bin/$$t --completion=fish > completions/fish/$$t.fish || exit 1; \
	done

man-lint:
	mandoc -Tlint -Wwarning man/man1/*.1 man/man7/*.7

bench: all
	@for b in bench/*.sh; do echo "== $$b"; BUILD=$(BUILD) $$b || exit 1; done

# libFuzzer targets: fuzz/fuzz_NAME.c, with the library built again by clang
# with coverage. fuzz/NAME.mk may add sources: FUZZ_SRC_fuzz_NAME := cmd/x/y.c
FUZZ_CC ?= clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer-no-link,address,undefined
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/%.o)
-include $(wildcard fuzz/*.mk)

build/fuzz/lib/%.o: lib/%.c | deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(PS_CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

build/fuzz/cmd/%.o: cmd/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(PS_CPPFLAGS) $(PKG_CFLAGS) $(FUZZ_FLAGS) -MMD -MP -c $< -o $@

# (their headers: an inline function moved into one rebuilds them)
-include $(wildcard build/fuzz/lib/*.d build/fuzz/cmd/*/*.d)

# Keep every intermediate file (the fuzz build's objects among them):
# deleting them makes each target rebuild the library.
.SECONDARY:

.SECONDEXPANSION:
build/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB_OBJ) $$(patsubst %.c,build/fuzz/%.o,$$(FUZZ_SRC_fuzz_$$*))
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 $(PS_CPPFLAGS) $(PKG_CFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined -o $@ $^ $(PKG_LIBS) -lpthread -lm

fuzz: $(FUZZ_BINS)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)/
	install -m 644 man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 man/man7/*.7 $(DESTDIR)$(MANDIR)/man7/
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions \
		$(DESTDIR)$(PREFIX)/share/zsh/site-functions \
		$(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 644 completions/bash/* $(DESTDIR)$(PREFIX)/share/bash-completion/completions/
	install -m 644 completions/zsh/* $(DESTDIR)$(PREFIX)/share/zsh/site-functions/
	install -m 644 completions/fish/* $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/

uninstall:
	for t in $(TOOLS); do rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(MANDIR)/man1/$$t.1; done

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(UNIT_BINS:=.d) $(foreach t,$(TOOLS),$(patsubst %.c,$(BUILD)/%.d,$(wildcard cmd/$(t)/*.c)))
