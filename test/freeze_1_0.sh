#!/usr/bin/env bash
# Regenerates the frozen 1.0 install script from sql/parts, leaving out what
# 1.1 added (45_case_history.sql), and records its md5 in test/t/upgrade.sh.
# Used once, when 1.0 was cut at the end of the first development session;
# after a real release the 1.0 script must never change again.
set -euo pipefail
cd "$(dirname "$0")/.."
parts=$(ls sql/parts/*.sql | sort | grep -v '/45_case_history.sql$')
cat $parts > sql/cla_eventlog--1.0.sql
sum=$(md5sum < sql/cla_eventlog--1.0.sql | cut -d' ' -f1)
sed -i "s/^released_md5_1_0=.*/released_md5_1_0=$sum/" test/t/upgrade.sh
echo "sql/cla_eventlog--1.0.sql: $sum"
