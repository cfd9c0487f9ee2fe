# make run   build, then replay the bundled sample capture with the built-in default config
# make test  build, then run every test
# make build build/tradesentry only; make bench: benchmarks; make asan / tsan: sanitizer test runs
# make fuzz: libFuzzer on every parser of untrusted bytes (FUZZ_SECONDS each, default 60)
# Each target first installs the Debian 12 packages the project needs (a no-op when present).

DEB_PACKAGES := build-essential cmake ninja-build pkg-config libpcap-dev libhyperscan-dev \
  libboost-dev prometheus-cpp-dev libyaml-cpp-dev libfmt-dev libcli11-dev libssl-dev libpcre2-dev \
  libgtest-dev libgmock-dev libbenchmark-dev libquickfix-dev tcpreplay tshark iproute2 procps curl \
  python3 prometheus
JOBS ?= $(shell nproc)
SAMPLE := build/sample/trading_mix.pcap

.PHONY: deps build run test asan tsan bench sample fuzz clean
deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

build/build.ninja: | deps
	cmake --preset release >/dev/null

build: deps build/build.ninja
	cmake --build build -j $(JOBS)

$(SAMPLE): build
	@mkdir -p build/sample
	build/tsgen --seed 1 --packets 20000 --out $(SAMPLE)

sample: $(SAMPLE)

run: build sample
	@mkdir -p build/run-logs
	build/tradesentry -r $(SAMPLE) -l build/run-logs
	@echo "outputs in build/run-logs: eve.json metrics.prom"

test: build sample
	cd build && ctest --output-on-failure -j $(JOBS)

asan: deps
	cmake --preset asan >/dev/null && cmake --build build/asan -j $(JOBS)
	cd build/asan && ctest --output-on-failure -j $(JOBS) -L unit

tsan: deps
	cmake --preset tsan >/dev/null && cmake --build build/tsan -j $(JOBS)
	cd build/tsan && ctest --output-on-failure -j $(JOBS) -L unit

bench: build
	bash bench/run_benchmarks.sh

FUZZ_SECONDS ?= 60
fuzz: deps
	@command -v clang++ >/dev/null && [ -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a ] || \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-14-dev
	cmake --preset fuzz >/dev/null && cmake --build build/fuzz -j $(JOBS) --target decode_fuzz loader_fuzz parser_fuzz fix_framer_fuzz
	@for f in decode:sensor loader:config parser:signatures fix_framer:detectors; do n=$${f%%:*}; d=$${f##*:}; \
	  mkdir -p build/fuzz/corpus_$$n && cp tests/$$d/$${n}_fuzz_corpus/* build/fuzz/corpus_$$n/ && \
	  echo "== $${n}_fuzz for $(FUZZ_SECONDS) s" && \
	  build/fuzz/$${n}_fuzz -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 build/fuzz/corpus_$$n 2>&1 | \
	    grep -E "stat::number_of_executed_units|ERROR|SUMMARY|crash" ; done

clean:
	rm -rf build
