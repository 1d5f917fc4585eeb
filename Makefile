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
	src/args.o \
	src/functions.o \
	src/rels.o \
	src/owner.o \
	src/probe.o \
	src/registry.o \
	src/binding.o \
	src/log_trigger.o \
	src/log_apply.o \
	src/log_event.o \
	src/log_insert.o \
	src/timers.o \
	src/append_only.o \
	src/disk.o \
	src/import.o \
	src/iso_time.o

# The current version's install script and the upgrade to it are built
# from sql/parts (below); released versions' scripts are frozen files.  A
# new version: bump EXTVERSION, default_version in the control file and
# CEL_VERSION in src/cla_eventlog.h, commit the last built scripts as
# sql/cla_eventlog--OLD.sql and sql/cla_eventlog--PREV--OLD.sql (into
# DATA), and start sql/upgrade/cla_eventlog--OLD--NEW.sql.
EXTVERSION  = 1.1
DATA_built  = sql/cla_eventlog--$(EXTVERSION).sql \
              sql/cla_eventlog--1.0--$(EXTVERSION).sql
DATA        = sql/cla_eventlog--1.0.sql

# pg_regress suites, one file per concept (test/sql/NAME.sql).
REGRESS      = $(sort $(basename $(notdir $(wildcard test/sql/*.sql))))
REGRESS_OPTS = --inputdir=test --load-extension=cla_eventlog
# Isolation specs, one per race (test/specs/NAME.spec).
ISOLATION      = $(basename $(notdir $(wildcard test/specs/*.spec)))
ISOLATION_OPTS = --inputdir=test --outputdir=. --load-extension=cla_eventlog

PG_CFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wmissing-prototypes \
	-Wno-missing-field-initializers

EXTRA_CLEAN = results output_iso regression.diffs regression.out

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

# The current install script is assembled from sql/parts in name order.
sql/cla_eventlog--$(EXTVERSION).sql: $(sort $(wildcard sql/parts/*.sql))
	cat $^ > $@

# The upgrade from 1.0: what changes in 1.0's objects (sql/upgrade), then the
# parts 1.0 has nothing of, as they are, then the privileges of every object
# as a fresh install sets them.
UPGRADE_NEW_PARTS = sql/parts/78_replication.sql sql/parts/78_retention.sql \
                    sql/parts/79_compat_views.sql sql/parts/79_history_import.sql
sql/cla_eventlog--1.0--$(EXTVERSION).sql: sql/upgrade/cla_eventlog--1.0--$(EXTVERSION).sql \
		$(UPGRADE_NEW_PARTS) sql/parts/80_privileges.sql
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
