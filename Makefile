# The two commands a newcomer needs:
#   make demo   every function, as a Lambda binary, against the local AWS emulator through the users' story
#   make test   run every test (formatting, lints, unit, emulator-backed, end to end, infra,
#               dependency policy, packaging)
# Both install what they need first (tests/setup: a pinned virtualenv from PyPI with moto,
# cbor2, cargo-lambda and ziglang).

SHELL := /bin/bash
export PATH := $(CURDIR)/.venv/bin:$(PATH)

.PHONY: demo test checks setup lint package bench event-rules faults load fuzz

setup:
	@tests/setup

demo: setup
	cargo build --quiet --workspace --bins
	cargo run --quiet -p phoenix-tests --example demo

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets --quiet -- -D warnings
	if [ -d infra ]; then terraform fmt -check -recursive infra; fi

# The release packages (the slowest build) compile at low priority while the rest runs:
# the tests mostly wait for the emulator, and the packages fill that time. They are still the
# longer side on two cores from a fresh clone (tests/meanwhile prints both sides' times: the
# packages 1925 s, the rest 1744 s). The two cores are busy throughout: moving the dependency
# policy (whose first run compiles cargo-deny) behind the packages made CI no faster (1948 s
# against 1956 s), so only a smaller release build would shorten it.
test: setup
	@tests/meanwhile tests/package-check -- $(MAKE) --no-print-directory checks

# A failed test prints its message without a backtrace: the message is what CI's log keeps.
checks: lint
	cargo build --workspace --bins
	RUST_BACKTRACE=0 cargo test --workspace
	tests/infra/check
	tests/deny

# The fault matrix with every fault for every operation of every function (make test runs
# every fault for the event-driven functions and one fault per operation, in turn, for the
# others; see tests/tests/integration/faults.rs).
faults: setup
	PHOENIX_FAULTS_FULL=1 cargo test -p phoenix-tests --test integration faults:: -- --nocapture

# The load test at full size: 10,000 Backup and CloudTrail events through the handlers,
# 32 at a time, against the emulator; every expected alert exactly once; prints throughput
# (make test runs 600 of them).
load: setup
	cargo run --quiet -p phoenix-tests --example load -- --events 10000 --concurrency 32

# Each event parser's fuzz target for 60 s, seeded with the fixtures (needs a nightly
# toolchain; installs cargo-fuzz into .tools/). See fuzz/run.
fuzz:
	fuzz/run

# The EventBridge rules the Terraform module routes, as the functions print them (keys sorted,
# as the files are kept).
event-rules:
	cargo build --quiet --workspace --bins
	for rules in infra/modules/phoenix-guard/modules/catalog/rules/*.json; do \
		$${CARGO_TARGET_DIR:-target}/debug/$$(basename $$rules .json) --print-event-pattern \
			| python3 -m json.tool --sort-keys --indent 2 > $$rules; \
	done

# Release bootstrap.zip per function in target/lambda/<function>/, checked.
package: setup
	tests/package-check

# Size, cold start and memory of each function, handler CPU time per event, the load test,
# and phoenix verify against Cloud Custodian (prints numbers; see tests/bench/).
bench: package load
	tests/bench/cold-start
	cargo bench -p phoenix-tests --bench handler-cpu
	tests/bench/versus-custodian
