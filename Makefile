# cla_eventlog — PGXS build.
#
#   make            build the library and the install script
#   make install    install into the PostgreSQL found by pg_config
#   make test       everything, on a fresh machine: packages, build, a
#                   throwaway cluster, every suite (test/run.sh)
#   make demo       build, install, throwaway cluster, a day of helpline work
#   make bench      benchmarks (test/bench/run.sh)

EXTENSION   = cla_eventlog
MODULE_big  = cla_eventlog
OBJS = \
	src/cla_eventlog.o \
	src/guc.o \
	src/spi.o \
	src/registry.o \
	src/binding.o \
	src/log_trigger.o \
	src/log_apply.o \
	src/log_event.o \
	src/timers.o \
	src/maintenance.o

DATA_built  = sql/cla_eventlog--1.0.sql
DATA        = $(wildcard sql/cla_eventlog--*--*.sql)

# pg_regress suites, one file per concept (test/sql/NAME.sql).
REGRESS      = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --load-extension=cla_eventlog
# Isolation specs, one per race (test/specs/NAME.spec).
ISOLATION      = $(basename $(notdir $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=. --load-extension=cla_eventlog

PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-Wno-missing-field-initializers

EXTRA_CLEAN = results output_iso regression.diffs regression.out sql/cla_eventlog--1.0.sql

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

# The install script is assembled from sql/parts in name order.
sql/cla_eventlog--1.0.sql: $(sort $(wildcard sql/parts/*.sql))
	cat $^ > $@

$(OBJS): src/cla_eventlog.h

.PHONY: test demo bench
test:
	bash test/run.sh

demo:
	bash test/demo.sh

bench:
	bash test/bench/run.sh

.PHONY: print-regress print-isolation
print-regress:
	@echo $(REGRESS)
print-isolation:
	@echo $(ISOLATION)
