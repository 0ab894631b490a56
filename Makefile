# Two commands on a fresh machine: `make run` (set up, teach it the sample family, serve it)
# and `make test` (set up, run the tests). Everything installs from PyPI into .venv.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= $(or $(FAMILYPHOTO_TEST_DATA),../shared/data)
WEIGHTS ?= weights
DEMO   ?= demo-data
WEB    := frontend

.PHONY: setup web run demo test bench clean

setup: $(VENV)/.installed web

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The web app (frontend/dist, served at / by `familyphoto serve`): Node.js 20+ and npm, from the npm registry.
web: $(WEB)/dist/index.html

$(WEB)/node_modules/.installed: $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && npm ci --no-audit --no-fund
	touch $@

$(WEB)/dist/index.html: $(WEB)/node_modules/.installed $(WEB)/openapi.json $(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/tsconfig.json $(shell find $(WEB)/src -type f ! -name schema.d.ts 2>/dev/null)
	cd $(WEB) && npm run build

$(WEIGHTS)/manifest.json: | setup
	$(BIN)/familyphoto train $(DATA)/family-dev/enroll --weights $(WEIGHTS)

# The sample family-dev family enrolled into the service's own store (what the web app manages), trained once.
$(DEMO)/weights/manifest.json: | setup
	$(BIN)/familyphoto enrol $(DATA)/family-dev/enroll --data $(DEMO)

# The service and its web app on that family: http://127.0.0.1:8000/ (family-dev's group photos as its library:
# Scan on the People screen; read only).
run: setup $(DEMO)/weights/manifest.json
	FAMILYPHOTO_LIBRARY_ROOTS='$(or $(FAMILYPHOTO_LIBRARY_ROOTS),["$(abspath $(DATA))/family-dev/photos"])' \
	$(BIN)/familyphoto serve --data $(DEMO)

# The command line on the same family: who is in each group photo, as JSON Lines.
demo: setup $(WEIGHTS)/manifest.json
	$(BIN)/familyphoto predict $(DATA)/family-dev/photos --weights $(WEIGHTS) --no-crops

test: setup
	cd $(WEB) && npm test
	FAMILYPHOTO_TEST_DATA=$(DATA) $(BIN)/pytest

bench: setup
	$(BIN)/python bench/accuracy.py --data $(DATA)
	bash bench/setup_face_recognition_env.sh
	$(BIN)/python bench/speed.py --data $(DATA)
	$(BIN)/python bench/perf.py --data $(DATA)
	$(BIN)/python bench/sort.py --data $(DATA) --target 600

clean:
	rm -rf $(VENV) bench/.venv-fr bench/out $(WEB)/node_modules $(WEB)/dist $(DEMO)
