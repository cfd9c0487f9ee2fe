# make run   build, then replay the bundled sample capture with the built-in default config
# make test  build, then run every test
# make build build/tradesentry only; make bench: benchmarks; make asan / tsan: sanitizer test runs
# Each target first installs the Debian 12 packages the project needs (a no-op when present).

DEB_PACKAGES := build-essential cmake ninja-build pkg-config libpcap-dev libhyperscan-dev \
  libboost-dev prometheus-cpp-dev libyaml-cpp-dev libfmt-dev libcli11-dev libssl-dev \
  libgtest-dev libgmock-dev libbenchmark-dev tcpreplay tshark iproute2 procps curl python3 prometheus
JOBS ?= $(shell nproc)
SAMPLE := build/sample/trading_mix.pcap

.PHONY: deps build run test asan tsan bench sample clean
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

clean:
	rm -rf build
