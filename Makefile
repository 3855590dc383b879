# The two commands a newcomer needs: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint typecheck install install-test browser java video postgres bench model account-model clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need $(PY) (set PY=python3 to use another)"; exit 2; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[scripture]'

install-test: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,scripture,spark]'

demo: install
	$(BIN)/marsad demo

lint: install-test
	$(BIN)/ruff check src tests benchmarks docs
	$(BIN)/ruff format --check src tests benchmarks docs

typecheck: install-test
	$(BIN)/mypy

# the report's browser test drives Debian's Chromium; installed here when missing
# and this is a root shell with apt-get, else that test skips (fails in CI)
browser:
	@if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null \
	  || echo "could not install Chromium: the browser test will skip (and fail in CI)"; \
	else echo "no Chromium: apt-get install chromium chromium-driver for the browser test"; fi

# marsad spark runs PySpark on Java 17: Debian's JRE is installed here when no
# java is found and this is a root shell with apt-get, else the Spark tests
# skip (and fail in CI)
java:
	@if [ -n "$$JAVA_HOME" ] || command -v java >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq openjdk-17-jre-headless >/dev/null 2>&1 \
	  || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq openjdk-17-jre-headless >/dev/null; } \
	  || echo "could not install Java 17: the Spark tests will skip (and fail in CI)"; \
	else echo "no Java: apt-get install openjdk-17-jre-headless for marsad spark and its tests"; fi

# vPDQ video hashing (the `video` extra) builds against FFmpeg's development
# packages: installed here when this is a root shell with apt-get; if that or
# the build fails, the vPDQ tests skip, saying how to install it
VIDEO_APT := g++ pkg-config libavdevice-dev libavfilter-dev libavformat-dev \
  libavcodec-dev libswresample-dev libswscale-dev libavutil-dev
video: install-test
	@if $(BIN)/python -c 'import vpdq' >/dev/null 2>&1; then :; \
	else \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y -qq $(VIDEO_APT) >/dev/null 2>&1 \
	    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq $(VIDEO_APT) >/dev/null; } \
	    || echo "could not install FFmpeg's dev packages (apt-get install $(VIDEO_APT))"; \
	  fi; \
	  $(BIN)/python -m pip install --quiet -e '.[video]' \
	  || echo "could not install the video extra: the vPDQ tests will skip (and say how)"; \
	fi

# the team store's tests use PostgreSQL on 127.0.0.1:5432: started here when
# it is installed but down and this is a root shell (else they skip, and fail in CI)
postgres:
	@if ! command -v pg_isready >/dev/null 2>&1; then echo "no PostgreSQL client: the team store tests will skip (and fail in CI)"; \
	elif pg_isready -q -h 127.0.0.1 -p 5432; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null 2>&1; then \
	  for c in $$(pg_lsclusters -h 2>/dev/null | awk '{print $$1"/"$$2}'); do pg_ctlcluster $${c%/*} $${c#*/} start || true; done; \
	  for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	else echo "PostgreSQL is not running on 127.0.0.1:5432: the team store tests will skip (and fail in CI)"; fi

test: install-test lint typecheck browser java video postgres
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/ingest.py

# the packaged default model, trained by one command from ../shared/datasets;
# writes its model card beside it and in docs/, and the evaluation report in docs/
DATA ?= ../shared/datasets
model: install
	$(BIN)/marsad train \
	  --data $(DATA)/fifth_tribe_pro_isis_accounts.csv:1 \
	  --data $(DATA)/general_tweets_negative.csv:0 \
	  --data $(DATA)/arabic_pro_isis_vs_not.csv \
	  --data $(DATA)/isis_keyword_tweets_labeled.csv \
	  --hard-negatives $(DATA)/isis_keyword_tweets_labeled.csv \
	  --stream $(DATA)/benign_social_posts.csv \
	  --out src/marsad/detect/models/default.safetensors \
	  --html docs/evaluation.html
	cp src/marsad/detect/models/default.md docs/model-card.md

# the packaged account-score model, fitted on simulated platforms (seeds the tests do not use)
account-model: install
	$(BIN)/python -m marsad.accounts.train_scores

clean:
	rm -rf $(VENV) marsad-data .mypy_cache .ruff_cache .pytest_cache
