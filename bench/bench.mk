# Benchmarks (issue #7): included by the Makefile. Sizes and durations: BENCH_* (bench/questlog_bench/settings.py).
.PHONY: bench bench-quick bench-profile bench-erasure

BENCH_QUICK := BENCH_AB_SECONDS=3 BENCH_AB_CONCURRENCY=8 BENCH_PRODUCER_PERF_RECORDS=100000 \
	BENCH_FRESH_SECONDS=20 BENCH_COMPARE_SECONDS=10 BENCH_STREAM_EVENTS=200000 BENCH_STREAM_MAX_SECONDS=120 \
	BENCH_DRAIN_SECONDS=60 BENCH_RESULTS_DIR=$(CURDIR)/var/bench/results-quick

bench: up ## Benchmarks vs. Kafka's ceilings and a classic baseline, in one run (under 20 min) -> bench/results/
	$(PY) -m questlog_bench

bench-quick: up ## The same benchmark, small and short (checks the harness; results in var/bench/results-quick)
	$(BENCH_QUICK) $(PY) -m questlog_bench

bench-erasure: up ## Player erasure among 5 M rows, one player and a batch of 100 -> bench/results/erasure.md
	$(PY) -m questlog_bench.erasure

bench-profile: up ## py-spy profile of the API under single-event and batch ab load -> var/bench/profile/
	bench/profile.sh
